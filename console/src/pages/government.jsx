// The government's own pages: introduction, own survey questions, premium settings.
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { can } from "../roles.js";
import { Markdown } from "./markdown.jsx";
import { Checkbox, FormStatus, Input, Loading, PageTitle, Select, TextArea, useForm, useLoad } from "../ui.jsx";

export function IntroPage() {
  const state = useLoad(() => api.get(lg("/page")), []);
  return (
    <section>
      <PageTitle>紹介ページ</PageTitle>
      <Loading state={state}>{(page) => <IntroForm page={page} />}</Loading>
    </section>
  );
}

function IntroForm({ page }) {
  const form = useForm({ title: page.title || "", body: page.body || "" });
  const writable = can("page.write");
  const onSubmit = form.submit(async (v) => {
    await api.put(lg("/page"), { title: v.title, body: v.body });
  }, "紹介ページを保存しました。");
  return (
    <form onSubmit={onSubmit} class="card two-col" noValidate>
      <div>
        <p class="hint">最終更新: {dateTime(page.updated_at)}</p>
        <Input form={form} name="title" label="見出し" required disabled={!writable} />
        <TextArea
          form={form}
          name="body"
          label="本文（Markdown）"
          rows={14}
          disabled={!writable}
          hint="見出しは # 、箇条書きは - 、リンクは [文字](https://...) で書けます。"
        />
        <FormStatus form={form} shown={["title", "body"]} />
        {writable ? (
          <button type="submit" disabled={form.busy}>
            保存する
          </button>
        ) : null}
      </div>
      <div class="preview" aria-label="プレビュー">
        <h2>プレビュー</h2>
        <h3>{form.values.title}</h3>
        <Markdown text={form.values.body} />
      </div>
    </form>
  );
}

const TYPES = [
  ["single_choice", "ひとつ選ぶ"],
  ["multi_choice", "いくつでも選ぶ"],
  ["text", "文章"],
  ["number", "数値"],
];

export function Survey() {
  const state = useLoad(() => api.get(lg("/survey")), []);
  return (
    <section>
      <PageTitle>独自アンケート</PageTitle>
      <p>登録時に尋ねる、自治体独自の質問です（標準の質問は全国共通で、ここでは変えられません）。</p>
      <Loading state={state}>{(survey) => <SurveyForm survey={survey} />}</Loading>
    </section>
  );
}

function SurveyForm({ survey }) {
  const toRow = (q) => ({ ...q, options: (q.options || []).join("\n") });
  const form = useForm({ questions: survey.questions.map(toRow) });
  const writable = can("survey.write");
  const questions = form.values.questions;
  const update = (i, patch) =>
    form.set(
      "questions",
      questions.map((q, j) => (j === i ? { ...q, ...patch } : q)),
    );
  const onSubmit = form.submit(async (v) => {
    const body = {
      questions: v.questions.map((q) => {
        const out = { id: q.id, label: q.label, type: q.type, required: !!q.required };
        if (q.type === "single_choice" || q.type === "multi_choice") {
          out.options = q.options.split("\n").map((s) => s.trim()).filter(Boolean);
        }
        return out;
      }),
    };
    const saved = await api.put(lg("/survey"), body);
    form.set("questions", saved.questions.map(toRow));
  }, "アンケートを保存しました。");
  return (
    <form onSubmit={onSubmit} noValidate>
      {questions.map((q, i) => {
        // Each question's fields bound to a small sub-form so errors like questions[0].label land here.
        const sub = {
          values: q,
          errors: Object.fromEntries(
            Object.entries(form.errors)
              .filter(([k]) => k.startsWith(`questions[${i}].`))
              .map(([k, v]) => [k.slice(`questions[${i}].`.length), v]),
          ),
          set: (name, value) => update(i, { [name]: value }),
        };
        return (
          <fieldset class="card">
            <legend>質問 {i + 1}</legend>
            <Input form={sub} name="id" label="質問ID（英数字）" required disabled={!writable} />
            <Input form={sub} name="label" label="質問文" required disabled={!writable} />
            <Select form={sub} name="type" label="回答の形式" options={TYPES} disabled={!writable} />
            {q.type === "single_choice" || q.type === "multi_choice" ? (
              <TextArea form={sub} name="options" label="選択肢（1行に1つ）" rows={4} disabled={!writable} />
            ) : null}
            <Checkbox form={sub} name="required" label="回答を必須にする" disabled={!writable} />
            {writable ? (
              <button
                type="button"
                class="secondary"
                onClick={() => form.set("questions", questions.filter((_, j) => j !== i))}
              >
                この質問を削除
              </button>
            ) : null}
          </fieldset>
        );
      })}
      <FormStatus form={form} shown={Object.keys(form.errors).filter((k) => k.startsWith("questions["))} />
      {writable ? (
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() =>
              form.set("questions", [
                ...questions,
                { id: `q${questions.length + 1}`, label: "", type: "single_choice", options: "", required: false },
              ])
            }
          >
            質問を追加
          </button>
          <button type="submit" disabled={form.busy}>
            保存する
          </button>
        </div>
      ) : null}
    </form>
  );
}

export function Settings() {
  const state = useLoad(() => api.get(lg("/settings")), []);
  return (
    <section>
      <PageTitle>プレミアム登録の設定</PageTitle>
      <Loading state={state}>{(s) => <SettingsForm settings={s} />}</Loading>
    </section>
  );
}

function SettingsForm({ settings }) {
  const form = useForm({ ...settings });
  const writable = can("settings.write");
  const onSubmit = form.submit(async (v) => {
    const saved = await api.put(lg("/settings"), {
      min_activities: Number(v.min_activities),
      window: v.window,
      long_stay_days: Number(v.long_stay_days),
      auto_approval: !!v.auto_approval,
      inactivity_months: Number(v.inactivity_months),
      count_municipal_activities: !!v.count_municipal_activities,
    });
    form.setValues({ ...saved });
  }, "設定を保存しました。");
  return (
    <form onSubmit={onSubmit} class="card" noValidate>
      <Input form={form} name="min_activities" label="必要な活動の回数" type="number" min="3" hint="3回以上" disabled={!writable} />
      <Select
        form={form}
        name="window"
        label="回数を数える期間"
        options={[
          ["rolling_365d", "直近365日"],
          ["fiscal_year", "年度（4月〜翌3月）"],
        ]}
        disabled={!writable}
      />
      <Input form={form} name="long_stay_days" label="長期滞在とみなす日数" type="number" min="1" disabled={!writable} />
      <Input
        form={form}
        name="inactivity_months"
        label="活動がない場合に失効するまでの月数"
        type="number"
        min="1"
        disabled={!writable}
      />
      <Checkbox form={form} name="auto_approval" label="要件を満たした申請を自動で承認する" disabled={!writable} />
      <Checkbox
        form={form}
        name="count_municipal_activities"
        label="県内の市町村の活動も回数に数える（都道府県のみ）"
        disabled={!writable}
      />
      <FormStatus form={form} shown={Object.keys(settings)} />
      {writable ? (
        <button type="submit" disabled={form.busy}>
          保存する
        </button>
      ) : null}
    </form>
  );
}
