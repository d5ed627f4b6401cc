import { useState } from "preact/hooks";
import { XLSX, api, download, lg, request } from "../api.js";
import { dateTime, fromLocalInput, toLocalInput } from "../format.js";
import { navigate } from "../router.js";
import { can } from "../roles.js";
import {
  Checkbox,
  ErrorBox,
  FormStatus,
  Input,
  Link,
  Loading,
  MoreButton,
  Notice,
  PageTitle,
  Select,
  TextArea,
  useForm,
  useLoad,
  usePaged,
} from "../ui.jsx";

export const MODES = {
  static_qr: "掲示用QRコード（ポスター）",
  rotating_qr: "会場画面の切り替わるQRコード",
  staff_scan: "職員が会員証を読み取る",
};
const STATUS = { scheduled: "予定", cancelled: "中止" };

export function ActivityList() {
  const [status, setStatus] = useState("");
  const list = usePaged((cursor) => api.get(lg("/activities"), { status, cursor }), [status]);
  return (
    <section>
      <PageTitle
        actions={
          can("activities.write") ? (
            <Link to="/activities/new" class="button">
              活動を登録
            </Link>
          ) : null
        }
      >
        活動
      </PageTitle>
      <div class="filters">
        <label for="activity-status">状態</label>
        <select id="activity-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">すべて</option>
          <option value="scheduled">予定</option>
          <option value="cancelled">中止</option>
        </select>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && !list.items.length ? <p>読み込んでいます…</p> : null}
      {!list.loading && !list.items.length && !list.error ? <p>活動はまだありません。</p> : null}
      {list.items.length ? (
        <table>
          <caption class="sr-only">活動の一覧</caption>
          <thead>
            <tr>
              <th scope="col">活動名</th>
              <th scope="col">開始</th>
              <th scope="col">場所</th>
              <th scope="col">受付方法</th>
              <th scope="col">状態</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((a) => (
              <tr>
                <td>
                  <Link to={`/activities/${a.activity_id}`}>{a.name}</Link>
                </td>
                <td>{dateTime(a.starts_at)}</td>
                <td>{a.place}</td>
                <td>{MODES[a.checkin_mode]}</td>
                <td>{STATUS[a.status] || a.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </section>
  );
}

function activityForm(a) {
  return {
    name: a?.name || "",
    starts_at: toLocalInput(a?.starts_at),
    ends_at: toLocalInput(a?.ends_at),
    place: a?.place || "",
    conditions: a?.conditions || "",
    capacity: a?.capacity ?? "",
    checkin_mode: a?.checkin_mode || "static_qr",
    designated: a?.designated ?? false,
    organization_id: a?.organization_id || "",
  };
}

function activityBody(v, { create }) {
  const body = {
    name: v.name,
    starts_at: fromLocalInput(v.starts_at),
    ends_at: fromLocalInput(v.ends_at),
    place: v.place,
    conditions: v.conditions || null,
    capacity: v.capacity === "" ? null : Number(v.capacity),
    checkin_mode: v.checkin_mode,
    designated: !!v.designated,
  };
  if (create && v.organization_id) body.organization_id = v.organization_id;
  return body;
}

function ActivityFields({ form, organizations, create }) {
  return (
    <>
      <Input form={form} name="name" label="活動名" required />
      <div class="row">
        <Input form={form} name="starts_at" label="開始日時" type="datetime-local" required />
        <Input form={form} name="ends_at" label="終了日時" type="datetime-local" required />
      </div>
      <Input form={form} name="place" label="場所" required />
      <TextArea form={form} name="conditions" label="参加条件" rows={3} />
      <Input form={form} name="capacity" label="定員" type="number" min="1" hint="空欄なら定員なし" />
      <Select
        form={form}
        name="checkin_mode"
        label="受付方法"
        options={Object.entries(MODES)}
        hint="掲示用QRは印刷して掲示、切り替わるQRは会場のタブレットに表示します。"
      />
      {create && organizations?.length ? (
        <Select
          form={form}
          name="organization_id"
          label="実施団体"
          options={[["", "自治体が実施"], ...organizations.map((o) => [o.org_id, o.name])]}
        />
      ) : null}
      <Checkbox form={form} name="designated" label="自治体が指定する活動（プレミアム登録の要件に数える）" />
    </>
  );
}

export function ActivityNew() {
  const orgs = useLoad(() => api.get(lg("/organizations"), { limit: 200 }), []);
  const form = useForm(activityForm(null));
  const onSubmit = form.submit(async (v) => {
    const created = await api.create(lg("/activities"), activityBody(v, { create: true }));
    navigate(`/activities/${created.activity_id}`);
  });
  return (
    <section>
      <PageTitle>活動を登録</PageTitle>
      <form onSubmit={onSubmit} class="card" noValidate>
        <ActivityFields form={form} organizations={orgs.data?.items} create />
        <FormStatus form={form} shown={Object.keys(activityForm(null))} />
        <button type="submit" disabled={form.busy}>
          登録する
        </button>
      </form>
    </section>
  );
}

export function ActivityDetail({ id }) {
  const state = useLoad(() => api.get(lg(`/activities/${id}`)), [id]);
  return (
    <Loading state={state}>
      {(a) => <ActivityView activity={a} onChange={(next) => state.setData(next)} reload={state.reload} />}
    </Loading>
  );
}

function ActivityView({ activity: a, onChange, reload }) {
  const writable = can("activities.write") && a.status === "scheduled";
  const [poster, setPoster] = useState({ error: null, busy: false });
  const [printUrl, setPrintUrl] = useState(null);
  // Print the A4 poster from the browser (its print dialog also saves a PDF).
  const printPoster = async () => {
    setPoster({ error: null, busy: true });
    try {
      const blob = await request("GET", lg(`/activities/${a.activity_id}/qr`), {
        accept: "image/png",
        query: { format: "png" },
      });
      setPrintUrl(URL.createObjectURL(blob));
      setPoster({ error: null, busy: false });
    } catch (e) {
      setPoster({ error: e, busy: false });
    }
  };
  const getPoster = async (format) => {
    setPoster({ error: null, busy: true });
    try {
      const accept = { pdf: "application/pdf", svg: "image/svg+xml" }[format] || "image/png";
      await download(lg(`/activities/${a.activity_id}/qr`), `poster-${a.activity_id}.${format}`, accept, { format });
      setPoster({ error: null, busy: false });
    } catch (e) {
      setPoster({ error: e, busy: false });
    }
  };
  return (
    <section>
      <PageTitle>{a.name}</PageTitle>
      <dl class="facts">
        <dt>日時</dt>
        <dd>
          {dateTime(a.starts_at)} 〜 {dateTime(a.ends_at)}
        </dd>
        <dt>場所</dt>
        <dd>{a.place}</dd>
        <dt>受付方法</dt>
        <dd>{MODES[a.checkin_mode]}</dd>
        <dt>受付時間</dt>
        <dd>
          {dateTime(a.checkin_opens_at)} 〜 {dateTime(a.checkin_closes_at)}
        </dd>
        <dt>状態</dt>
        <dd>
          {STATUS[a.status]}
          {a.cancel_reason ? `（理由: ${a.cancel_reason}）` : ""}
        </dd>
        <dt>参加者数</dt>
        <dd>{a.participant_count ?? "—"} 人</dd>
      </dl>
      {writable ? (
        <div class="actions">
          {a.checkin_mode === "static_qr" ? (
            <>
              <button type="button" onClick={() => getPoster("pdf")} disabled={poster.busy}>
                ポスターを保存（A4 PDF）
              </button>
              <button type="button" class="secondary" onClick={() => getPoster("png")} disabled={poster.busy}>
                ポスターを保存（PNG）
              </button>
              <button type="button" class="secondary" onClick={() => getPoster("svg")} disabled={poster.busy}>
                ポスターを保存（SVG）
              </button>
              <button type="button" class="secondary" onClick={printPoster} disabled={poster.busy}>
                ポスターを印刷
              </button>
            </>
          ) : null}
          {a.checkin_mode === "rotating_qr" ? (
            <Link to={`/activities/${a.activity_id}/venue`} class="button">
              会場画面を開く
            </Link>
          ) : null}
          <Link to={`/activities/${a.activity_id}/scan`} class="button secondary">
            会員証を読み取る
          </Link>
        </div>
      ) : null}
      <ErrorBox error={poster.error} />
      {printUrl ? (
        <div class="print-poster">
          <img
            src={printUrl}
            alt={`${a.name} の参加受付ポスター`}
            onLoad={() => {
              window.print();
              URL.revokeObjectURL(printUrl);
              setPrintUrl(null);
            }}
          />
        </div>
      ) : null}
      <Roster activity={a} />
      {writable ? <EditActivity activity={a} onChange={onChange} /> : null}
      {writable ? <CancelActivity activity={a} onChange={onChange} /> : null}
      <p>
        <Link to="/activities">活動の一覧へ戻る</Link>
      </p>
    </section>
  );
}

function EditActivity({ activity, onChange }) {
  const form = useForm(activityForm(activity));
  const onSubmit = form.submit(async (v) => {
    onChange(await api.patch(lg(`/activities/${activity.activity_id}`), activityBody(v, { create: false })));
  }, "変更を保存しました。");
  return (
    <details class="card">
      <summary>活動の内容を変更</summary>
      <form onSubmit={onSubmit} noValidate>
        <ActivityFields form={form} />
        <FormStatus form={form} shown={Object.keys(activityForm(null))} />
        <button type="submit" disabled={form.busy}>
          変更を保存
        </button>
      </form>
    </details>
  );
}

function CancelActivity({ activity, onChange }) {
  const form = useForm({ reason: "" });
  const onSubmit = form.submit(async (v) => {
    if (!window.confirm("この活動を中止します。QRコードは使えなくなります。よろしいですか。")) return;
    onChange(await api.post(lg(`/activities/${activity.activity_id}/cancel`), { reason: v.reason || null }));
  });
  return (
    <details class="card danger">
      <summary>活動を中止</summary>
      <form onSubmit={onSubmit}>
        <Input form={form} name="reason" label="中止の理由" hint="参加予定の方に伝わる理由を書きます（任意）" />
        <FormStatus form={form} shown={["reason"]} />
        <button type="submit" class="danger" disabled={form.busy}>
          中止する
        </button>
      </form>
    </details>
  );
}

const SOURCES = { qr: "QRコード", staff_scan: "職員の読取", backfill: "実績の取込" };
// An offline scan sent after check-in closed counts only once staff confirm it (the sign-in sheet,
// the people they met): the phone's clock is not evidence.
const PARTICIPATION_STATUS = { confirmed: "確認済み", unconfirmed: "未確認", rejected: "却下" };

function Decision({ activity, line, onDecided }) {
  const [state, setState] = useState({ busy: false, error: null });
  const decide = async (decision) => {
    const question =
      decision === "confirm"
        ? `${line.name || "この方"}の参加を確認します。実績として数えられます。よろしいですか。`
        : `${line.name || "この方"}の参加を却下します。実績として数えられることはありません。よろしいですか。`;
    if (!window.confirm(question)) return;
    setState({ busy: true, error: null });
    try {
      const path = `/activities/${activity.activity_id}/participants/${line.participation_id}/confirmation`;
      onDecided(await api.post(lg(path), { decision }));
      setState({ busy: false, error: null });
    } catch (e) {
      setState({ busy: false, error: e });
    }
  };
  return (
    <div class="actions">
      <button type="button" disabled={state.busy} onClick={() => decide("confirm")}>
        確認
      </button>
      <button type="button" class="danger" disabled={state.busy} onClick={() => decide("reject")}>
        却下
      </button>
      <ErrorBox error={state.error} />
    </div>
  );
}

function Roster({ activity }) {
  const list = usePaged(
    (cursor) => api.get(lg(`/activities/${activity.activity_id}/participants`), { cursor }),
    [activity.activity_id],
  );
  const [exportError, setExportError] = useState(null);
  const exportXlsx = async () => {
    setExportError(null);
    try {
      await download(
        lg(`/activities/${activity.activity_id}/participants`),
        `roster-${activity.activity_id}.xlsx`,
        XLSX,
        { format: "xlsx" },
      );
    } catch (e) {
      setExportError(e);
    }
  };
  return (
    <section aria-labelledby="roster-title">
      <div class="page-head">
        <h2 id="roster-title">参加者名簿</h2>
        <div class="actions">
          <button type="button" class="secondary" onClick={list.reload}>
            最新にする
          </button>
          <button type="button" class="secondary" onClick={exportXlsx}>
            名簿をExcelで保存
          </button>
        </div>
      </div>
      <ErrorBox error={list.error || exportError} />
      {!list.loading && !list.items.length && !list.error ? <p>まだ参加者はいません。</p> : null}
      {list.items.length ? (
        <table id="roster">
          <caption class="sr-only">参加者名簿</caption>
          <thead>
            <tr>
              <th scope="col">氏名</th>
              <th scope="col">登録</th>
              <th scope="col">記録方法</th>
              <th scope="col">受付日時</th>
              <th scope="col">確認</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((p) => (
              <tr>
                <td>{p.name || "（氏名未登録）"}</td>
                <td>{p.registered ? "登録者" : "照合待ち"}</td>
                <td>
                  {SOURCES[p.source] || p.source}
                  {p.offline ? "（オフライン）" : ""}
                </td>
                <td>{dateTime(p.checked_in_at)}</td>
                <td>
                  {PARTICIPATION_STATUS[p.status] || p.status}
                  {p.status === "unconfirmed" && can("participations.decide") ? (
                    <Decision
                      activity={activity}
                      line={p}
                      onDecided={(next) =>
                        list.setItems((items) =>
                          items.map((item) => (item.participation_id === next.participation_id ? next : item)),
                        )
                      }
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      <Notice text={list.loading ? "読み込んでいます…" : ""} />
    </section>
  );
}
