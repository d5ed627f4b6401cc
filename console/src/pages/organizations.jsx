import { api, lg } from "../api.js";
import { can } from "../roles.js";
import { ErrorBox, FormStatus, Input, MoreButton, PageTitle, Select, useForm, usePaged } from "../ui.jsx";

const KINDS = {
  neighborhood_association: "自治会・町内会",
  npo: "NPO",
  dmo: "観光地域づくり法人（DMO）",
  chamber_of_commerce: "商工会・商工会議所",
  company: "企業",
  school: "学校",
  other: "その他",
};
const DESIGNATIONS = {
  per_activity: "活動ごとに指定",
  all_activities: "すべての活動を指定",
};

export function Organizations() {
  const list = usePaged((cursor) => api.get(lg("/organizations"), { cursor }), []);
  return (
    <section>
      <PageTitle>団体</PageTitle>
      <p>活動を実施する地域の団体です。団体職員のアカウントは団体ごとに発行します。</p>
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table>
          <caption class="sr-only">団体の一覧</caption>
          <thead>
            <tr>
              <th scope="col">団体名</th>
              <th scope="col">種類</th>
              <th scope="col">活動の指定</th>
              <th scope="col">団体ID</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((o) => (
              <tr>
                <td>{o.name}</td>
                <td>{KINDS[o.kind] || o.kind}</td>
                <td>{DESIGNATIONS[o.designation]}</td>
                <td>
                  <code>{o.org_id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !list.loading && !list.error ? (
        <p>団体はまだありません。</p>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {can("organizations.write") ? <NewOrganization onCreated={(o) => list.setItems((x) => [o, ...x])} /> : null}
    </section>
  );
}

function NewOrganization({ onCreated }) {
  const form = useForm({ name: "", kind: "neighborhood_association", designation: "per_activity" });
  const onSubmit = form.submit(async (v) => {
    onCreated(await api.create(lg("/organizations"), v));
    form.setValues({ name: "", kind: "neighborhood_association", designation: "per_activity" });
  }, "団体を登録しました。");
  return (
    <form class="card" onSubmit={onSubmit} noValidate>
      <h2>団体を登録</h2>
      <Input form={form} name="name" label="団体名" required />
      <Select form={form} name="kind" label="種類" options={Object.entries(KINDS)} />
      <Select form={form} name="designation" label="活動の指定" options={Object.entries(DESIGNATIONS)} />
      <FormStatus form={form} shown={["name", "kind", "designation"]} />
      <button type="submit" disabled={form.busy}>
        登録する
      </button>
    </form>
  );
}
