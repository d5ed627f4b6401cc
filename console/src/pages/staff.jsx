// Staff accounts of the government (its admin) and the audit trail.
import { useState } from "preact/hooks";
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { ROLE_LABELS } from "../roles.js";
import { ErrorBox, FormStatus, Input, MoreButton, PageTitle, Select, useForm, usePaged } from "../ui.jsx";

export function StaffAccounts() {
  const list = usePaged((cursor) => api.get(lg("/staff"), { cursor }), []);
  const [error, setError] = useState(null);
  const remove = async (s) => {
    if (!window.confirm(`${s.email} のアカウントを削除します。すぐにサインインできなくなります。よろしいですか。`)) return;
    setError(null);
    try {
      await api.del(lg(`/staff/${s.staff_id}`));
      list.setItems((items) => items.filter((x) => x.staff_id !== s.staff_id));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <PageTitle>職員アカウント</PageTitle>
      <ErrorBox error={list.error || error} />
      {list.items.length ? (
        <table>
          <caption class="sr-only">職員アカウントの一覧</caption>
          <thead>
            <tr>
              <th scope="col">メールアドレス</th>
              <th scope="col">役割</th>
              <th scope="col">団体ID</th>
              <th scope="col">操作</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((s) => (
              <tr>
                <td>{s.email}</td>
                <td>{ROLE_LABELS[s.staff_role] || s.staff_role}</td>
                <td>{s.org_id || "—"}</td>
                <td>
                  {s.staff_role === "admin" ? null : (
                    <button type="button" class="danger" onClick={() => remove(s)}>
                      削除
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      <NewStaff onCreated={(s) => list.setItems((x) => [...x, s])} />
    </section>
  );
}

function NewStaff({ onCreated }) {
  const empty = { email: "", staff_role: "coordinator", org_id: "" };
  const form = useForm(empty);
  const onSubmit = form.submit(async (v) => {
    const body = { email: v.email, staff_role: v.staff_role };
    if (v.staff_role === "org") body.org_id = v.org_id;
    onCreated(await api.create(lg("/staff"), body));
    form.setValues(empty);
  }, "アカウントを発行しました。招待メールが届きます。");
  return (
    <form class="card" onSubmit={onSubmit} noValidate>
      <h2>アカウントを発行</h2>
      <Input form={form} name="email" label="メールアドレス" type="email" required />
      <Select
        form={form}
        name="staff_role"
        label="役割"
        options={[
          ["coordinator", "担当者"],
          ["viewer", "閲覧者"],
          ["org", "団体職員"],
        ]}
      />
      {form.values.staff_role === "org" ? <Input form={form} name="org_id" label="団体ID" required /> : null}
      <FormStatus form={form} shown={["email", "staff_role", "org_id"]} />
      <button type="submit" disabled={form.busy}>
        発行する
      </button>
    </form>
  );
}

// The operator reads one government's trail at a time.
export function OperatorAudit() {
  return <Audit operator />;
}

export function Audit({ operator = false }) {
  const [range, setRange] = useState({ from: "", to: "", lg_code: "" });
  const form = useForm({ from: "", to: "", lg_code: "" });
  const path = operator ? "/v1/operator/audit" : lg("/audit");
  const ready = !operator || range.lg_code;
  const list = usePaged(
    (cursor) => (ready ? api.get(path, { ...range, cursor }) : Promise.resolve({ items: [], next_cursor: null })),
    [range.from, range.to, range.lg_code],
  );
  return (
    <section>
      <PageTitle>操作記録</PageTitle>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setRange({ ...form.values });
        }}
      >
        {operator ? (
          <Input form={form} name="lg_code" label="団体コード" inputMode="numeric" error={list.error?.fields?.lg_code} />
        ) : null}
        <Input form={form} name="from" label="開始日" type="date" error={list.error?.fields?.from} />
        <Input form={form} name="to" label="終了日" type="date" error={list.error?.fields?.to} />
        <button type="submit">表示</button>
      </form>
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table>
          <caption class="sr-only">操作記録</caption>
          <thead>
            <tr>
              <th scope="col">日時</th>
              <th scope="col">職員</th>
              <th scope="col">役割</th>
              <th scope="col">操作</th>
              <th scope="col">対象</th>
              <th scope="col">目的</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((a) => (
              <tr>
                <td>{dateTime(a.at)}</td>
                <td>{a.actor}</td>
                <td>{ROLE_LABELS[a.staff_role] || a.staff_role}</td>
                <td>{a.action}</td>
                <td>{a.resource}</td>
                <td>{a.purpose}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !list.loading && !list.error ? (
        <p>記録はありません。</p>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </section>
  );
}
