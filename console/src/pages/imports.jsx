// Backfill: the official template, a drag-and-drop upload through the presigned POST, the dry
// run's report row by row, the commit, and the progress of each step.
import { useEffect, useRef, useState } from "preact/hooks";
import { XLSX, api, download, lg } from "../api.js";
import { ApiError } from "../errors.js";
import { can } from "../roles.js";
import { ErrorBox, Link, PageTitle } from "../ui.jsx";

const STATUS = {
  waiting_upload: "アップロード待ち",
  processing: "処理中",
  validated: "確認済み（まだ取り込んでいません）",
  completed: "取込完了",
  failed: "取り込めませんでした",
};
const FINAL = ["validated", "completed", "failed"];

async function waitFor(importId, onUpdate, { timeoutMs = 120_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const job = await api.get(lg(`/imports/${importId}`));
    onUpdate(job);
    if (FINAL.includes(job.status)) return job;
    if (job.status === "waiting_upload" && Date.now() - started > 30_000) {
      throw new Error("ファイルが届きませんでした。もう一度アップロードしてください。");
    }
    if (Date.now() - started > timeoutMs) throw new Error("処理に時間がかかっています。しばらくしてからこの画面を開き直してください。");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function upload(target, file) {
  const form = new FormData();
  for (const [k, v] of Object.entries(target.fields || {})) form.append(k, v);
  form.append("file", file);
  try {
    const response = await fetch(target.url, { method: target.method || "POST", body: form });
    if (!response.ok) throw new Error("ファイルを送れませんでした。もう一度お試しください。");
  } catch (e) {
    // A storage endpoint without CORS for this origin hides its answer, but the upload may have
    // landed: the job's status (polled next) is the truth.
    if (!(e instanceof TypeError)) throw e;
  }
}

// Rows of the report that need the clerk's attention: [row, column, reason, result].
async function reportIssues(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error("結果ファイルを読めませんでした。");
  const { readSheet } = await import("../xlsx.js");
  const rows = readSheet(await response.arrayBuffer(), "取込結果");
  const header = rows.findIndex((r) => r[0] === "行番号");
  const out = [];
  for (const r of rows.slice(header + 1)) {
    const [row, result, reason] = r;
    if (!reason) continue;
    for (const line of String(reason).split("\n")) {
      const m = line.match(/^(.+?): (.*)$/);
      const column = m ? m[1] : "";
      // "理由 (reason)": the report writes Japanese, then English in parentheses; keep the Japanese.
      const text = (m ? m[2] : line).replace(/\s+\([\x20-\x7e]*\)$/, "");
      out.push({ row, column, reason: text, result: String(result || "").replace(/\s*\(.*\)$/, "") });
    }
  }
  return out;
}

export function Imports() {
  const [job, setJob] = useState(null);
  const [issues, setIssues] = useState(null);
  const [error, setError] = useState(null);
  const [phase, setPhase] = useState("idle"); // idle | uploading | checking | committing
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef(null);
  const writable = can("imports.write");

  const showReport = async (j) => {
    setIssues(null);
    if (j.report_url) {
      try {
        setIssues(await reportIssues(j.report_url));
      } catch (e) {
        setIssues([]);
        setError(e);
      }
    }
  };

  const start = async (file) => {
    setError(null);
    setJob(null);
    setIssues(null);
    if (!/\.xlsx$/i.test(file.name)) {
      setError(new Error("Excel形式（.xlsx）のファイルを選んでください。"));
      return;
    }
    setPhase("uploading");
    try {
      const created = await api.create(lg("/imports"), { filename: file.name, dry_run: true });
      if (created.upload.max_bytes && file.size > created.upload.max_bytes) {
        throw new Error("ファイルが大きすぎます（10 MB まで）。");
      }
      await upload(created.upload, file);
      setPhase("checking");
      const done = await waitFor(created.import_id, setJob);
      await showReport(done);
    } catch (e) {
      setError(e);
    } finally {
      setPhase("idle");
    }
  };

  const commit = async () => {
    setError(null);
    setPhase("committing");
    try {
      const started = await api.post(lg(`/imports/${job.import_id}/commit`));
      setJob(started);
      const done = await waitFor(job.import_id, setJob, { timeoutMs: 600_000 });
      await showReport(done);
    } catch (e) {
      setError(e);
    } finally {
      setPhase("idle");
    }
  };

  const template = async () => {
    setError(null);
    try {
      await download(lg("/imports/template"), "担い手活動実績記録用様式.xlsx", XLSX);
    } catch (e) {
      setError(e);
    }
  };

  const onDrop = (e) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer?.files?.[0];
    if (file && phase === "idle") start(file);
  };

  return (
    <section>
      <PageTitle>活動実績の取込</PageTitle>
      <ol class="steps">
        <li>
          様式をダウンロードし、活動と参加者を記入します。
          <button type="button" class="secondary" onClick={template}>
            様式をダウンロード
          </button>
        </li>
        <li>記入したファイルを下の枠に置くと、まず内容を確認します（まだ取り込みません）。</li>
        <li>確認結果に問題がなければ「取り込む」を押します。</li>
      </ol>
      {writable ? (
        <div
          class={`dropzone${dragging ? " dragging" : ""}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>ここにファイルをドラッグ＆ドロップ</p>
          <p>または</p>
          <label class="button" for="import-file">
            ファイルを選ぶ
          </label>
          <input
            id="import-file"
            ref={fileInput}
            class="sr-only"
            type="file"
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            disabled={phase !== "idle"}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = "";
              if (file) start(file);
            }}
          />
        </div>
      ) : (
        <p>取込は管理者・担当者が行います。</p>
      )}
      <p role="status" aria-live="polite" class="notice">
        {phase === "uploading" ? "ファイルを送っています…" : ""}
        {phase === "checking" ? "内容を確認しています…" : ""}
        {phase === "committing" ? "取り込んでいます…" : ""}
      </p>
      <ErrorBox error={error} />
      {job ? <JobSummary job={job} /> : null}
      {issues && issues.length ? <IssueTable issues={issues} /> : null}
      {issues && !issues.length && job?.status !== "failed" ? <p>すべての行に問題はありませんでした。</p> : null}
      {job?.status === "validated" && writable ? (
        <div class="actions">
          <button type="button" onClick={commit} disabled={phase !== "idle" || !job.rows_total || job.rows_total === job.rows_rejected}>
            取り込む（{(job.rows_total ?? 0) - (job.rows_rejected ?? 0)} 行）
          </button>
        </div>
      ) : null}
      {job?.status === "completed" ? (
        <p>
          取り込んだ活動と参加者は <Link to="/activities">活動</Link> の参加者名簿で確認できます。
        </p>
      ) : null}
    </section>
  );
}

function JobSummary({ job }) {
  return (
    <section class="card" aria-labelledby="job-title">
      <h2 id="job-title">
        {job.filename}：{STATUS[job.status] || job.status}
      </h2>
      {job.status === "failed" ? <p class="error-box">{job.failure_message || "ファイルを読み取れませんでした。"}</p> : null}
      <dl class="facts" id="import-counts">
        <dt>データ行</dt>
        <dd>{job.rows_total ?? "—"}</dd>
        <dt>{job.status === "completed" ? "取り込んだ行" : "取り込める行"}</dt>
        <dd>{job.rows_total == null ? "—" : job.rows_total - (job.rows_rejected ?? 0)}</dd>
        <dt>エラーの行</dt>
        <dd>{job.rows_rejected ?? "—"}</dd>
        <dt>登録者と照合できた人</dt>
        <dd>{job.participants_matched ?? "—"}</dd>
        <dt>照合待ちの人</dt>
        <dd>{job.participants_pending ?? "—"}</dd>
      </dl>
      {job.report_url ? (
        <p>
          <a href={job.report_url}>結果ファイル（Excel）をダウンロード</a>
        </p>
      ) : null}
    </section>
  );
}

function IssueTable({ issues }) {
  return (
    <table id="import-issues">
      <caption>確認結果（要確認の行）</caption>
      <thead>
        <tr>
          <th scope="col">行</th>
          <th scope="col">列</th>
          <th scope="col">理由</th>
          <th scope="col">扱い</th>
        </tr>
      </thead>
      <tbody>
        {issues.map((i) => (
          <tr>
            <td>{i.row}</td>
            <td>{i.column}</td>
            <td>{i.reason}</td>
            <td>{i.result}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
