// Statistics of the government: the relationship population, its history and breakdowns.
// Chart.js loads only here; every chart also has its numbers in a table.
import { useEffect, useRef } from "preact/hooks";
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { Loading, PageTitle, useLoad } from "../ui.jsx";

let chartModule = null;
async function loadChart() {
  if (!chartModule) {
    const m = await import("chart.js");
    m.Chart.register(m.LineController, m.BarController, m.LineElement, m.BarElement, m.PointElement, m.CategoryScale, m.LinearScale, m.Legend, m.Tooltip);
    m.Chart.defaults.font.family = "system-ui, sans-serif";
    m.Chart.defaults.color = "#1f2933";
    m.Chart.defaults.animation = false;
    chartModule = m;
  }
  return chartModule;
}

function ChartBox({ label, type, labels, datasets }) {
  const canvas = useRef(null);
  useEffect(() => {
    let chart;
    let live = true;
    loadChart().then(({ Chart }) => {
      if (!live || !canvas.current) return;
      chart = new Chart(canvas.current, {
        type,
        data: { labels, datasets },
        options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: datasets.length > 1 } } },
      });
    });
    return () => {
      live = false;
      chart?.destroy();
    };
  }, [JSON.stringify({ labels, datasets })]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

const COLORS = ["#1d4ed8", "#b45309", "#047857"];

function NumbersTable({ caption, head, rows }) {
  return (
    <table class="numbers">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            {r.map((c, i) => (i === 0 ? <th scope="row">{c}</th> : <td>{c}</td>))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Stats() {
  const state = useLoad(() => api.get(lg("/stats")), []);
  return (
    <section>
      <PageTitle>統計</PageTitle>
      <Loading state={state}>{(s) => <StatsView s={s} />}</Loading>
    </section>
  );
}

function StatsView({ s }) {
  const rp = s.relationship_population;
  const history = s.history || [];
  const ages = Object.entries(s.by_age_band || {});
  const months = Object.entries(s.participations_by_month || {}).sort();
  const prefs = Object.entries(s.by_residence_prefecture || {}).sort((a, b) => b[1] - a[1]).slice(0, 10);
  return (
    <>
      <p class="hint">集計時点: {dateTime(s.as_of)}（有効な登録のみ。居住地の自治体への登録は除きます）</p>
      <dl class="facts big" id="stats-summary">
        <dt>関係人口</dt>
        <dd>{rp.total.toLocaleString("ja-JP")} 人</dd>
        <dt>ベーシック</dt>
        <dd>{rp.basic.toLocaleString("ja-JP")} 人</dd>
        <dt>プレミアム</dt>
        <dd>{rp.premium.toLocaleString("ja-JP")} 人</dd>
        <dt>長期滞在者</dt>
        <dd>{(s.long_term_stayers ?? 0).toLocaleString("ja-JP")} 人</dd>
        <dt>居住地のため除外</dt>
        <dd>{(s.own_residence_excluded ?? 0).toLocaleString("ja-JP")} 人</dd>
      </dl>
      <div class="charts">
        <section>
          <h2>関係人口の推移</h2>
          <ChartBox
            label="関係人口の月別推移のグラフ（数値は下の表）"
            type="line"
            labels={history.map((h) => h.month)}
            datasets={[
              { label: "合計", data: history.map((h) => h.total), borderColor: COLORS[0], backgroundColor: COLORS[0] },
              { label: "ベーシック", data: history.map((h) => h.basic), borderColor: COLORS[1], backgroundColor: COLORS[1] },
              { label: "プレミアム", data: history.map((h) => h.premium), borderColor: COLORS[2], backgroundColor: COLORS[2] },
            ]}
          />
          <NumbersTable
            caption="関係人口の推移（人）"
            head={["月", "合計", "ベーシック", "プレミアム"]}
            rows={history.map((h) => [h.month, h.total, h.basic, h.premium])}
          />
        </section>
        <section>
          <h2>年代別</h2>
          <ChartBox
            label="年代別の登録者数のグラフ（数値は下の表）"
            type="bar"
            labels={ages.map(([k]) => k)}
            datasets={[{ label: "人数", data: ages.map(([, v]) => v), backgroundColor: COLORS[0] }]}
          />
          <NumbersTable caption="年代別（人）" head={["年代", "人数"]} rows={ages} />
        </section>
        <section>
          <h2>月別の活動参加</h2>
          <ChartBox
            label="月別の活動参加数のグラフ（数値は下の表）"
            type="bar"
            labels={months.map(([k]) => k)}
            datasets={[{ label: "参加", data: months.map(([, v]) => v), backgroundColor: COLORS[2] }]}
          />
          <NumbersTable caption="月別の活動参加（件）" head={["月", "参加"]} rows={months} />
        </section>
        <section>
          <h2>居住地（都道府県）上位10</h2>
          <NumbersTable caption="居住地の都道府県コード別（人）" head={["都道府県コード", "人数"]} rows={prefs} />
        </section>
      </div>
    </>
  );
}
