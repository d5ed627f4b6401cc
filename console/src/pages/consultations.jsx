// The consultations inbox: registrants' questions, replies and closing.
import { useState } from "preact/hooks";
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { can } from "../roles.js";
import { ErrorBox, FormStatus, Loading, MoreButton, PageTitle, TextArea, useForm, useLoad, usePaged } from "../ui.jsx";

const TOPICS = { culture: "文化", community: "地域の活動", projects: "事業", dual_residence: "二地域居住", other: "その他" };
const STATUS = { open: "未回答", answered: "回答済み", closed: "終了" };

export function Consultations() {
  const [status, setStatus] = useState("open");
  const [selected, setSelected] = useState(null);
  const list = usePaged((cursor) => api.get(lg("/consultations"), { status, cursor }), [status]);
  return (
    <section>
      <PageTitle>相談</PageTitle>
      <div class="filters">
        <label for="consult-status">状態</label>
        <select id="consult-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">すべて</option>
          {Object.entries(STATUS).map(([k, t]) => (
            <option value={k}>{t}</option>
          ))}
        </select>
      </div>
      <ErrorBox error={list.error} />
      {list.items.length ? (
        <table>
          <caption class="sr-only">相談の一覧</caption>
          <thead>
            <tr>
              <th scope="col">件名</th>
              <th scope="col">分野</th>
              <th scope="col">状態</th>
              <th scope="col">更新</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((c) => (
              <tr>
                <td>
                  <button type="button" class="link" onClick={() => setSelected(c.consultation_id)}>
                    {c.subject}
                  </button>
                </td>
                <td>{TOPICS[c.topic]}</td>
                <td>{STATUS[c.status]}</td>
                <td>{dateTime(c.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !list.loading && !list.error ? (
        <p>相談はありません。</p>
      ) : null}
      <MoreButton cursor={list.cursor} onMore={list.more} />
      {selected ? <Thread id={selected} key={selected} onChanged={list.reload} /> : null}
    </section>
  );
}

function Thread({ id, onChanged }) {
  const state = useLoad(() => api.get(lg(`/consultations/${id}`)), [id]);
  const form = useForm({ body: "" });
  const reply = form.submit(async (v) => {
    state.setData(await api.post(lg(`/consultations/${id}/messages`), { body: v.body }));
    form.set("body", "");
    onChanged();
  }, "回答を送りました。");
  const close = form.submit(async () => {
    state.setData(await api.post(lg(`/consultations/${id}/close`)));
    onChanged();
  }, "相談を終了しました。");
  return (
    <Loading state={state}>
      {(c) => (
        <section class="card" aria-labelledby="thread-title">
          <h2 id="thread-title">{c.subject}</h2>
          <ol class="messages">
            {c.messages.map((m) => (
              <li class={m.from}>
                <p class="meta">
                  {m.from === "staff" ? "職員" : "相談者"}・{dateTime(m.at)}
                </p>
                <p class="pre">{m.body}</p>
              </li>
            ))}
          </ol>
          {c.status !== "closed" && can("consultations.write") ? (
            <form onSubmit={reply} noValidate>
              <TextArea form={form} name="body" label="回答" rows={5} required />
              <FormStatus form={form} shown={["body"]} />
              <div class="actions">
                <button type="submit" disabled={form.busy}>
                  回答を送る
                </button>
                <button type="button" class="secondary" onClick={close} disabled={form.busy}>
                  相談を終了する
                </button>
              </div>
            </form>
          ) : null}
        </section>
      )}
    </Loading>
  );
}
