// The operator's part: onboarding governments and their first administrators; national statistics.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { ErrorBox, FormStatus, Input, Loading, MoreButton, PageTitle, Select, useForm, useLoad, usePaged } from "../ui.jsx";

export function OperatorGovernments() {
  const list = usePaged((cursor) => api.get("/v1/operator/lgs", { cursor }), []);
  const [selected, setSelected] = useState("");
  return (
    <section>
      <PageTitle>自治体の登録</PageTitle>
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table id="governments">
          <caption class="sr-only">登録済みの自治体</caption>
          <thead>
            <tr>
              <th scope="col">団体コード</th>
              <th scope="col">名称</th>
              <th scope="col">種類</th>
              <th scope="col">登録日時</th>
              <th scope="col">管理者</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((g) => (
              <tr>
                <td>{g.lg_code}</td>
                <td>{g.name}</td>
                <td>{g.kind === "prefecture" ? "都道府県" : "市区町村"}</td>
                <td>{dateTime(g.onboarded_at)}</td>
                <td>
                  <button type="button" class="secondary" onClick={() => setSelected(g.lg_code)}>
                    管理者を追加
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {selected ? <FirstAdmin lgCode={selected} key={selected} /> : null}
      <Onboard onDone={(g) => list.setItems((x) => [g, ...x])} />
    </section>
  );
}

function Onboard({ onDone }) {
  const empty = { lg_code: "", name: "", kind: "municipality", prefecture_code: "" };
  const form = useForm(empty);
  const onSubmit = form.submit(async (v) => {
    onDone(await api.create("/v1/operator/lgs", v));
    form.setValues(empty);
  }, "自治体を登録しました。");
  return (
    <form class="card" onSubmit={onSubmit} noValidate>
      <h2>自治体を登録</h2>
      <Input form={form} name="lg_code" label="全国地方公共団体コード（6桁）" required inputMode="numeric" />
      <Input form={form} name="name" label="名称" required />
      <Select
        form={form}
        name="kind"
        label="種類"
        options={[
          ["municipality", "市区町村"],
          ["prefecture", "都道府県"],
        ]}
      />
      <Input form={form} name="prefecture_code" label="都道府県コード（2桁）" required inputMode="numeric" />
      <FormStatus form={form} shown={Object.keys(empty)} />
      <button type="submit" disabled={form.busy}>
        登録する
      </button>
    </form>
  );
}

function FirstAdmin({ lgCode }) {
  const form = useForm({ email: "", staff_role: "admin" });
  const onSubmit = form.submit(async (v) => {
    await api.create(`/v1/operator/lgs/${lgCode}/staff`, v);
    form.setValues({ email: "", staff_role: "admin" });
  }, "アカウントを発行しました。招待メールが届きます。");
  return (
    <form class="card" onSubmit={onSubmit} noValidate>
      <h2>{lgCode} の職員アカウントを発行</h2>
      <Input form={form} name="email" label="メールアドレス" type="email" required />
      <Select
        form={form}
        name="staff_role"
        label="役割"
        options={[
          ["admin", "管理者"],
          ["coordinator", "担当者"],
          ["viewer", "閲覧者"],
        ]}
      />
      <FormStatus form={form} shown={["email", "staff_role"]} />
      <button type="submit" disabled={form.busy}>
        発行する
      </button>
    </form>
  );
}

export function OperatorStats() {
  const state = useLoad(() => api.get("/v1/operator/stats"), []);
  return (
    <section>
      <PageTitle>全国の統計</PageTitle>
      <Loading state={state}>
        {(s) => (
          <dl class="facts big">
            <dt>集計時点</dt>
            <dd>{dateTime(s.as_of)}</dd>
            <dt>登録している人</dt>
            <dd>{s.people.toLocaleString("ja-JP")} 人</dd>
            <dt>登録の件数</dt>
            <dd>{s.registrations.toLocaleString("ja-JP")} 件</dd>
            <dt>うちベーシック</dt>
            <dd>{s.by_plan.basic.toLocaleString("ja-JP")} 件</dd>
            <dt>うちプレミアム</dt>
            <dd>{s.by_plan.premium.toLocaleString("ja-JP")} 件</dd>
            <dt>参加自治体</dt>
            <dd>{s.governments_onboarded.toLocaleString("ja-JP")}</dd>
          </dl>
        )}
      </Loading>
    </section>
  );
}
