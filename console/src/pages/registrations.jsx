import { useState } from "preact/hooks";
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { can } from "../roles.js";
import { ErrorBox, FormStatus, Input, MoreButton, PageTitle, useForm, usePaged } from "../ui.jsx";

const PLANS = { basic: "ベーシック", premium: "プレミアム" };
export const REG_STATUS = {
  active: "有効",
  pending_review: "審査待ち",
  lapsed: "失効",
  withdrawn: "退会",
};

export function Registrations() {
  const [plan, setPlan] = useState("");
  const [status, setStatus] = useState("");
  const list = usePaged((cursor) => api.get(lg("/registrations"), { plan, status, cursor }), [plan, status]);
  const replace = (updated) =>
    list.setItems((items) =>
      items.map((r) => (r.registration_id === updated.registration_id ? { ...r, ...updated } : r)),
    );
  return (
    <section>
      <PageTitle>登録者と審査</PageTitle>
      <div class="filters">
        <label for="reg-plan">プラン</label>
        <select id="reg-plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
          <option value="">すべて</option>
          <option value="basic">ベーシック</option>
          <option value="premium">プレミアム</option>
        </select>
        <label for="reg-status">状態</label>
        <select id="reg-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">すべて</option>
          {Object.entries(REG_STATUS).map(([v, t]) => (
            <option value={v}>{t}</option>
          ))}
        </select>
      </div>
      <ErrorBox error={list.error} />
      {!list.loading && !list.items.length && !list.error ? <p>該当する登録はありません。</p> : null}
      {list.items.length ? (
        <table id="registrations">
          <caption class="sr-only">登録の一覧</caption>
          <thead>
            <tr>
              <th scope="col">登録ID</th>
              <th scope="col">プラン</th>
              <th scope="col">状態</th>
              <th scope="col">登録日</th>
              <th scope="col">プレミアム期限</th>
              <th scope="col">審査</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((r) => (
              <tr>
                <td>
                  <code>{r.registration_id}</code>
                  {r.own_residence ? "（居住地）" : ""}
                </td>
                <td>{PLANS[r.plan]}</td>
                <td>{REG_STATUS[r.status] || r.status}</td>
                <td>{dateTime(r.registered_at)}</td>
                <td>{r.premium?.valid_until || "—"}</td>
                <td>
                  {r.status === "pending_review" && can("reviews.decide") ? (
                    <Review registration={r} onDecided={replace} />
                  ) : (
                    r.decision_reason || "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {can("reviews.decide") ? <Stays /> : null}
    </section>
  );
}

// Stays the government confirmed (e.g. from a lodging's register): they count toward long stays.
function Stays() {
  const form = useForm({ registration_id: "", days: "", note: "" });
  const [result, setResult] = useState(null);
  const onSubmit = form.submit(async (v) => {
    const body = {
      registration_id: v.registration_id.trim(),
      days: v.days.split(/[\s,、]+/).filter(Boolean),
    };
    if (v.note) body.note = v.note;
    setResult(await api.post(lg("/stays"), body));
  }, "滞在を記録しました。");
  const dayErrors = Object.entries(form.errors)
    .filter(([k]) => k.startsWith("days"))
    .map(([, v]) => v);
  return (
    <form class="card" onSubmit={onSubmit} noValidate aria-labelledby="stays-title">
      <h2 id="stays-title">滞在日の記録</h2>
      <p class="hint">宿泊施設の記録などで確認できた滞在日を、登録ごとに記録します。</p>
      <Input form={form} name="registration_id" label="登録ID" required />
      <Input
        form={form}
        name="days"
        label="滞在日（YYYY-MM-DD、複数はカンマ区切り）"
        required
        error={dayErrors[0]}
      />
      <Input form={form} name="note" label="メモ（確認した書類など）" />
      <FormStatus form={form} shown={["registration_id", "note", ...Object.keys(form.errors).filter((k) => k.startsWith("days"))]} />
      {result ? (
        <p>
          滞在日数の合計: {result.stay_days} 日{result.long_term_stayer ? "（長期滞在者）" : ""}
        </p>
      ) : null}
      <button type="submit" disabled={form.busy}>
        記録する
      </button>
    </form>
  );
}

// The documents a person attached to a premium application (short-lived links).
function Documents({ registrationId }) {
  const [state, setState] = useState(null);
  const load = async () => {
    setState({ loading: true });
    try {
      setState({ data: await api.get(lg(`/registrations/${registrationId}`)) });
    } catch (error) {
      setState({ error });
    }
  };
  if (!state)
    return (
      <button type="button" class="secondary" onClick={load}>
        提出書類を見る
      </button>
    );
  if (state.loading) return <p>読み込んでいます…</p>;
  if (state.error) return <ErrorBox error={state.error} />;
  const docs = state.data.documents || [];
  if (!docs.length) return <p>提出書類はありません。</p>;
  return (
    <ul>
      {docs.map((d, i) => (
        <li>
          <a href={d.url} target="_blank" rel="noopener noreferrer">
            書類 {i + 1}（{d.content_type}、{Math.ceil(d.size / 1024)} KB）
          </a>
        </li>
      ))}
    </ul>
  );
}

function Review({ registration, onDecided }) {
  const form = useForm({ reason: "" });
  const decide = (decision) =>
    form.submit(async (v) => {
      const result = await api.post(lg(`/registrations/${registration.registration_id}/review`), {
        decision,
        reason: v.reason,
      });
      onDecided(result);
    });
  return (
    <form class="review" onSubmit={(e) => e.preventDefault()} aria-label={`${registration.registration_id} の審査`}>
      <Input form={form} name="reason" label="判断の理由" required />
      <FormStatus form={form} shown={["reason"]} />
      {registration.plan === "premium" ? <Documents registrationId={registration.registration_id} /> : null}
      <div class="actions">
        <button type="button" onClick={decide("approve")} disabled={form.busy}>
          承認
        </button>
        <button type="button" class="danger" onClick={decide("reject")} disabled={form.busy}>
          却下
        </button>
      </div>
    </form>
  );
}
