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
    </section>
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
