// Support measures (支援制度): measures, applications, decisions, payments and exports.
import { useState } from "preact/hooks";
import { XLSX, api, download, lg } from "../api.js";
import { dateTime, yen } from "../format.js";
import { can } from "../roles.js";
import { ErrorBox, FormStatus, Input, MoreButton, PageTitle, Select, TextArea, useForm, usePaged } from "../ui.jsx";

const CATEGORIES = {
  travel_subsidy: "交通費の補助",
  lodging_subsidy: "宿泊費の補助",
  workspace_subsidy: "仕事場の利用の補助",
  vacant_house_renovation_subsidy: "空き家改修の補助",
  public_facility_resident_rate: "公共施設の住民料金",
  resident_only_facility: "住民限定施設の利用",
  community_association: "自治会への参加",
  evacuation_acceptance: "避難の受け入れ",
  private_partner_benefit: "協力事業者の特典",
  other: "その他",
};
const APP_STATUS = {
  submitted: "申請中",
  info_requested: "追加情報の依頼中",
  approved: "承認",
  rejected: "却下",
  paid: "支払済み",
  withdrawn: "取下げ",
};
const MEASURE_STATUS = { draft: "下書き", open: "受付中", closed: "受付終了" };

export function Support() {
  const [tab, setTab] = useState("measures");
  return (
    <section>
      <PageTitle>支援制度</PageTitle>
      <div role="tablist" class="tabs" aria-label="支援制度の画面">
        <button role="tab" aria-selected={tab === "measures"} onClick={() => setTab("measures")}>
          制度
        </button>
        <button role="tab" aria-selected={tab === "applications"} onClick={() => setTab("applications")}>
          申請
        </button>
      </div>
      {tab === "measures" ? <Measures /> : <Applications />}
    </section>
  );
}

function Measures() {
  const list = usePaged((cursor) => api.get(lg("/support-measures"), { cursor }), []);
  return (
    <div role="tabpanel">
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table>
          <caption class="sr-only">支援制度の一覧</caption>
          <thead>
            <tr>
              <th scope="col">名称</th>
              <th scope="col">種類</th>
              <th scope="col">状態</th>
              <th scope="col">予算</th>
              <th scope="col">承認済み</th>
              <th scope="col">残り</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((m) => (
              <tr>
                <td>{m.name}</td>
                <td>{CATEGORIES[m.category]}</td>
                <td>{MEASURE_STATUS[m.status]}</td>
                <td>{yen(m.budget_total)}</td>
                <td>{yen(m.budget?.approved)}</td>
                <td>{yen(m.budget?.remaining)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !list.loading && !list.error ? (
        <p>支援制度はまだありません。</p>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {can("support.write") ? <NewMeasure onCreated={list.reload} /> : null}
    </div>
  );
}

function NewMeasure({ onCreated }) {
  const empty = {
    name: "",
    description: "",
    category: "travel_subsidy",
    eligibility: "premium",
    delivery: "in_area",
    opens_on: "",
    closes_on: "",
    rate_percent: "100",
    max_per_application: "",
    max_per_person_per_fiscal_year: "",
    budget_total: "",
    required_documents: "",
  };
  const form = useForm(empty);
  const num = (s) => (s === "" ? null : Number(s));
  const onSubmit = form.submit(async (v) => {
    await api.create(lg("/support-measures"), {
      ...v,
      rate_percent: num(v.rate_percent),
      max_per_application: num(v.max_per_application),
      max_per_person_per_fiscal_year: num(v.max_per_person_per_fiscal_year),
      budget_total: num(v.budget_total),
      required_documents: v.required_documents.split("\n").map((s) => s.trim()).filter(Boolean),
    });
    form.setValues(empty);
    onCreated();
  }, "支援制度を登録しました。");
  return (
    <form class="card" onSubmit={onSubmit} noValidate>
      <h2>支援制度を登録</h2>
      <Input form={form} name="name" label="名称" required />
      <TextArea form={form} name="description" label="説明" rows={4} />
      <Select form={form} name="category" label="種類" options={Object.entries(CATEGORIES)} />
      <Select
        form={form}
        name="eligibility"
        label="対象"
        options={[
          ["premium", "プレミアム登録の方"],
          ["premium_and_basic", "ベーシック登録の方も（交通・宿泊・仕事場のみ）"],
        ]}
      />
      <Select form={form} name="delivery" label="提供のしかた" options={[["in_area", "来訪時に地域内で利用"]]} />
      <div class="row">
        <Input form={form} name="opens_on" label="受付開始日" type="date" required />
        <Input form={form} name="closes_on" label="受付終了日" type="date" required />
      </div>
      <div class="row">
        <Input form={form} name="rate_percent" label="補助率（%）" type="number" />
        <Input form={form} name="max_per_application" label="1回の上限（円）" type="number" />
        <Input form={form} name="max_per_person_per_fiscal_year" label="1人の年度上限（円）" type="number" />
        <Input form={form} name="budget_total" label="予算（円）" type="number" />
      </div>
      <TextArea form={form} name="required_documents" label="必要な書類（1行に1つ）" rows={3} />
      <FormStatus form={form} shown={Object.keys(empty)} />
      <button type="submit" disabled={form.busy}>
        登録する
      </button>
    </form>
  );
}

function Applications() {
  const [status, setStatus] = useState("submitted");
  const list = usePaged((cursor) => api.get(lg("/support-applications"), { status, cursor }), [status]);
  const [error, setError] = useState(null);
  const exportApproved = async () => {
    setError(null);
    try {
      await download(lg("/support-applications/export"), "support-approved.xlsx", XLSX, { status: "approved" });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div role="tabpanel">
      <div class="filters">
        <label for="app-status">状態</label>
        <select id="app-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          {Object.entries(APP_STATUS).map(([k, t]) => (
            <option value={k}>{t}</option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={exportApproved}>
          承認済みをExcelで保存
        </button>
      </div>
      <ErrorBox error={list.error || error} />
      {list.items.map((a) => (
        <Application app={a} key={a.application_id} onChanged={list.reload} />
      ))}
      {!list.loading && !list.items.length && !list.error ? <p>該当する申請はありません。</p> : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </div>
  );
}

function Application({ app, onChanged }) {
  const decision = useForm({ decision: "approve", amount_granted: String(app.amount_requested ?? ""), reason: "" });
  const payment = useForm({ paid_on: "", reference: "" });
  const decide = decision.submit(async (v) => {
    const body = { decision: v.decision, reason: v.reason || undefined };
    if (v.decision === "approve") body.amount_granted = Number(v.amount_granted);
    await api.post(lg(`/support-applications/${app.application_id}/decision`), body);
    onChanged();
  });
  const pay = payment.submit(async (v) => {
    await api.post(lg(`/support-applications/${app.application_id}/payment`), v);
    onChanged();
  });
  const writable = can("support.write");
  return (
    <article class="card">
      <h2>
        申請 {app.application_id}（{APP_STATUS[app.status]}）
      </h2>
      <p>
        申請額 {yen(app.amount_requested)} ／ 承認額 {yen(app.amount_granted)} ／ 申請日時 {dateTime(app.submitted_at)}
      </p>
      <p class="pre">{app.details}</p>
      {writable && ["submitted", "info_requested"].includes(app.status) ? (
        <form onSubmit={decide} noValidate>
          <Select
            form={decision}
            name="decision"
            label="判断"
            options={[
              ["approve", "承認"],
              ["reject", "却下"],
              ["request_info", "追加情報を依頼"],
            ]}
          />
          {decision.values.decision === "approve" ? (
            <Input form={decision} name="amount_granted" label="承認額（円）" type="number" />
          ) : null}
          <Input form={decision} name="reason" label="理由" />
          <FormStatus form={decision} shown={["decision", "amount_granted", "reason"]} />
          <button type="submit" disabled={decision.busy}>
            判断を登録
          </button>
        </form>
      ) : null}
      {writable && app.status === "approved" ? (
        <form onSubmit={pay} noValidate>
          <div class="row">
            <Input form={payment} name="paid_on" label="支払日" type="date" required />
            <Input form={payment} name="reference" label="支払の参照番号" required />
          </div>
          <FormStatus form={payment} shown={["paid_on", "reference"]} />
          <button type="submit" disabled={payment.busy}>
            支払を記録
          </button>
        </form>
      ) : null}
    </article>
  );
}
