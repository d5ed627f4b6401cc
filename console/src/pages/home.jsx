import { session } from "../auth.js";
import { api } from "../api.js";
import { Link, PageTitle, useLoad } from "../ui.jsx";
import { ROLE_LABELS, can } from "../roles.js";

export function Home() {
  const p = session.value.principal;
  const lgInfo = useLoad(() => api.get(`/v1/local-governments/${p.lg_code}`), [p.lg_code]);
  return (
    <section>
      <PageTitle>{lgInfo.data ? `${lgInfo.data.name} の管理画面` : "管理画面"}</PageTitle>
      <p>
        役割: {ROLE_LABELS[p.staff_role] || p.staff_role}
        {can("activities.write") ? "" : "（閲覧のみ）"}
      </p>
      <ul class="tiles">
        <li>
          <Link to="/activities">活動の計画とQRコード</Link>
          <p>活動を登録し、会場に掲示するポスターや会場用の切り替わるQRコードを表示します。</p>
        </li>
        {can("imports.read") ? (
          <li>
            <Link to="/imports">活動実績の取込</Link>
            <p>様式のスプレッドシートから、過去の活動と参加者をまとめて登録します。</p>
          </li>
        ) : null}
        {can("registrations.read") ? (
          <li>
            <Link to="/registrations">登録者と審査</Link>
            <p>登録者の一覧と、プレミアム登録の審査を行います。</p>
          </li>
        ) : null}
        {can("stats.read") ? (
          <li>
            <Link to="/stats">統計</Link>
            <p>関係人口の推移や年代・居住地の内訳を見ます。</p>
          </li>
        ) : null}
      </ul>
    </section>
  );
}
