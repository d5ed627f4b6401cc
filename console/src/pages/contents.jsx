// Content for registrants: Markdown with a preview, targeting by plan, survey answers and residence.
import { useState } from "preact/hooks";
import { session } from "../auth.js";
import { api, lg } from "../api.js";
import { dateTime, fromLocalInput, toLocalInput } from "../format.js";
import { can } from "../roles.js";
import { Markdown } from "./markdown.jsx";
import { Checkbox, ErrorBox, FormStatus, Input, MoreButton, PageTitle, Select, TextArea, useForm, useLoad, usePaged } from "../ui.jsx";

const KINDS = { news: "お知らせ", event: "イベント", recruitment: "募集", disaster: "災害情報", support: "支援制度" };
const STATUS = { draft: "下書き", scheduled: "公開予約", published: "公開中", expired: "掲載終了" };

export function Contents() {
  const list = usePaged((cursor) => api.get(lg("/contents"), { cursor }), []);
  const [editing, setEditing] = useState(null);
  return (
    <section>
      <PageTitle
        actions={
          can("contents.write") ? (
            <button type="button" onClick={() => setEditing({})}>
              新しいお知らせ
            </button>
          ) : null
        }
      >
        お知らせ
      </PageTitle>
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table id="contents">
          <caption class="sr-only">お知らせの一覧</caption>
          <thead>
            <tr>
              <th scope="col">題名</th>
              <th scope="col">種類</th>
              <th scope="col">状態</th>
              <th scope="col">公開日時</th>
              <th scope="col">操作</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((c) => (
              <tr>
                <td>{c.title}</td>
                <td>{KINDS[c.kind]}</td>
                <td>{STATUS[c.status] || c.status}</td>
                <td>{dateTime(c.publish_at)}</td>
                <td>
                  {can("contents.write") ? (
                    <button type="button" class="secondary" onClick={() => setEditing(c)}>
                      編集
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !list.loading && !list.error ? (
        <p>お知らせはまだありません。</p>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {editing ? (
        <ContentForm
          content={editing}
          key={editing.content_id || "new"}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function ContentForm({ content, onSaved }) {
  const p = session.value.principal;
  const lgInfo = useLoad(() => api.get(`/v1/local-governments/${p.lg_code}`), [p.lg_code]);
  const target = content.target || {};
  const form = useForm({
    kind: content.kind || "news",
    title: content.title || "",
    body: content.body || "",
    publish_at: toLocalInput(content.publish_at),
    expires_at: toLocalInput(content.expires_at),
    plans: target.plans || [],
    prefectures: (target.residence_prefecture_codes || []).join(", "),
    survey: target.survey || {},
    draft: content.status === "draft",
  });
  const v = form.values;
  const questions = (lgInfo.data?.survey || []).filter((q) => q.options?.length);
  const toggle = (list, value) => (list.includes(value) ? list.filter((x) => x !== value) : [...list, value]);
  const onSubmit = form.submit(async (values) => {
    const t = {};
    if (values.plans.length) t.plans = values.plans;
    const codes = values.prefectures.split(/[,\s、]+/).filter(Boolean);
    if (codes.length) t.residence_prefecture_codes = codes;
    const survey = Object.fromEntries(Object.entries(values.survey).filter(([, a]) => a.length));
    if (Object.keys(survey).length) t.survey = survey;
    const body = {
      kind: values.kind,
      title: values.title,
      body: values.body,
      target: t,
      publish_at: values.publish_at ? fromLocalInput(values.publish_at) : null,
      expires_at: values.expires_at ? fromLocalInput(values.expires_at) : null,
    };
    // A draft stays unpublished until saved without the tick.
    if (values.draft || content.status === "draft") body.draft = !!values.draft;
    if (content.content_id) await api.patch(lg(`/contents/${content.content_id}`), body);
    else await api.create(lg("/contents"), body);
    onSaved();
  });
  return (
    <form class="card two-col" onSubmit={onSubmit} noValidate aria-label="お知らせの編集">
      <div>
        <Select form={form} name="kind" label="種類" options={Object.entries(KINDS)} />
        <Input form={form} name="title" label="題名" required />
        <TextArea form={form} name="body" label="本文（Markdown）" rows={10} required />
        <div class="row">
          <Input form={form} name="publish_at" label="公開日時" type="datetime-local" hint="空欄ならすぐに公開" />
          <Input form={form} name="expires_at" label="掲載終了日時" type="datetime-local" />
        </div>
        <fieldset>
          <legend>届ける相手（指定しなければ登録者全員）</legend>
          {["basic", "premium"].map((plan) => (
            <label class="inline">
              <input
                type="checkbox"
                checked={v.plans.includes(plan)}
                onChange={() => form.set("plans", toggle(v.plans, plan))}
              />
              {plan === "basic" ? "ベーシック登録の方" : "プレミアム登録の方"}
            </label>
          ))}
          {form.errors["target.plans"] ? <p class="field-error">{form.errors["target.plans"]}</p> : null}
          <Input
            form={form}
            name="prefectures"
            label="住んでいる都道府県のコード（例: 13, 27）"
            error={form.errors["target.residence_prefecture_codes"]}
          />
          {questions.map((q) => (
            <fieldset>
              <legend>{q.label}</legend>
              {q.options.map((o) => (
                <label class="inline">
                  <input
                    type="checkbox"
                    checked={(v.survey[q.id] || []).includes(o)}
                    onChange={() => form.set("survey", { ...v.survey, [q.id]: toggle(v.survey[q.id] || [], o) })}
                  />
                  {o}
                </label>
              ))}
            </fieldset>
          ))}
        </fieldset>
        <Checkbox form={form} name="draft" label="下書きとして保存する（公開しない）" />
        <FormStatus form={form} shown={["kind", "title", "body", "publish_at", "expires_at", "draft", "target.plans", "target.residence_prefecture_codes"]} />
        <div class="actions">
          <button type="submit" disabled={form.busy}>
            保存する
          </button>
          {content.content_id ? (
            <button
              type="button"
              class="danger"
              disabled={form.busy}
              onClick={form.submit(async () => {
                if (!window.confirm("このお知らせを削除します。よろしいですか。")) return;
                await api.del(lg(`/contents/${content.content_id}`));
                onSaved();
              })}
            >
              削除する
            </button>
          ) : null}
        </div>
      </div>
      <div class="preview" aria-label="プレビュー">
        <h2>プレビュー</h2>
        <h3>{v.title}</h3>
        <Markdown text={v.body} />
      </div>
    </form>
  );
}
