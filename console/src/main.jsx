import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { config, loadConfig } from "./config.js";
import { completeHostedSignIn, session, signInLocal, signOut } from "./auth.js";
import { useSignal } from "./state.js";
import { location$, match, navigate } from "./router.js";
import { Link } from "./ui.jsx";
import { ROLE_LABELS, can } from "./roles.js";
import { SignIn } from "./pages/signin.jsx";
import { Home } from "./pages/home.jsx";
import { ActivityDetail, ActivityList, ActivityNew } from "./pages/activities.jsx";
import { Venue } from "./pages/venue.jsx";
import { Scan } from "./pages/scan.jsx";
import { Imports } from "./pages/imports.jsx";
import { Registrations } from "./pages/registrations.jsx";
import { IntroPage, Settings, Survey } from "./pages/government.jsx";
import { Organizations } from "./pages/organizations.jsx";
import { Contents } from "./pages/contents.jsx";
import { Consultations } from "./pages/consultations.jsx";
import { Support } from "./pages/support.jsx";
import { Stats } from "./pages/stats.jsx";
import { Audit, OperatorAudit, StaffAccounts } from "./pages/staff.jsx";
import { OperatorGovernments, OperatorStats } from "./pages/operator.jsx";

// [path, component, nav label, permission] for staff; the order is the menu's.
const STAFF_ROUTES = [
  ["/", Home, "ホーム"],
  ["/activities", ActivityList, "活動"],
  ["/activities/new", ActivityNew, null],
  ["/activities/:id", ActivityDetail, null],
  ["/activities/:id/scan", Scan, null],
  ["/imports", Imports, "活動実績の取込", "imports.read"],
  ["/registrations", Registrations, "登録者と審査", "registrations.read"],
  ["/contents", Contents, "お知らせ"],
  ["/consultations", Consultations, "相談", "registrations.read"],
  ["/support", Support, "支援制度", "registrations.read"],
  ["/stats", Stats, "統計", "stats.read"],
  ["/page", IntroPage, "紹介ページ", "settings.read"],
  ["/survey", Survey, "独自アンケート", "settings.read"],
  ["/settings", Settings, "プレミアム登録の設定", "settings.read"],
  ["/organizations", Organizations, "団体"],
  ["/staff", StaffAccounts, "職員アカウント", "staff.manage"],
  ["/audit", Audit, "操作記録", "audit.read"],
];
const OPERATOR_ROUTES = [
  ["/", OperatorGovernments, "自治体の登録"],
  ["/operator/stats", OperatorStats, "全国の統計"],
  ["/operator/audit", OperatorAudit, "操作記録"],
];
// Full-screen pages: no menu, for the venue's tablet.
const FULL_SCREEN = [["/activities/:id/venue", Venue]];

function resolve(routes, path) {
  for (const [pattern, component, , permission] of routes) {
    const params = match(pattern, path);
    if (params && (!permission || can(permission))) return { component, params };
  }
  return null;
}

function Layout({ principal, routes, children, path }) {
  const current = path.split("?")[0];
  return (
    <>
      <a class="skip" href="#main">
        本文へ移動
      </a>
      <header class="top">
        <span class="brand">ふるさと住民登録 管理画面</span>
        <span class="who">
          {principal.role === "operator"
            ? "運用者"
            : `${principal.lg_code} ・ ${ROLE_LABELS[principal.staff_role] || principal.staff_role}`}
        </span>
        <button type="button" class="secondary" onClick={() => signOut()}>
          サインアウト
        </button>
      </header>
      <div class="shell">
        <nav aria-label="メニュー" class="side">
          <ul>
            {routes
              .filter(([, , label, permission]) => label && (!permission || can(permission)))
              .map(([to, , label]) => {
                const active = to === "/" ? current === "/" : current === to || current.startsWith(to + "/");
                return (
                  <li>
                    <Link to={to} aria-current={active ? "page" : undefined}>
                      {label}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </nav>
        <main id="main">{children}</main>
      </div>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>ページが見つかりません</h1>
      <p>
        <Link to="/">ホームへ戻る</Link>
      </p>
    </section>
  );
}

function App() {
  const path = useSignal(location$);
  const s = useSignal(session);
  const [problem, setProblem] = useState(null);

  useEffect(() => {
    // Move focus to the new page's heading so keyboard and screen-reader users know it changed.
    const h = document.getElementById("page-title");
    if (h) h.focus({ preventScroll: true });
  }, [path]);

  if (path.startsWith("/callback")) {
    return <Callback onProblem={setProblem} problem={problem} />;
  }
  if (!s) return <SignIn returnTo={path} />;
  const principal = s.principal;
  const full = resolve(FULL_SCREEN, path);
  if (full && principal.role === "staff") {
    const Page = full.component;
    return <Page {...full.params} />;
  }
  const routes = principal.role === "operator" ? OPERATOR_ROUTES : STAFF_ROUTES;
  const found = resolve(routes, path);
  const Page = found ? found.component : NotFound;
  return (
    <Layout principal={principal} routes={routes} path={path}>
      <Page {...(found ? found.params : {})} key={path.split("?")[0]} />
    </Layout>
  );
}

function Callback({ onProblem, problem }) {
  useEffect(() => {
    completeHostedSignIn(location.search).then(
      (returnTo) => navigate(returnTo, { replace: true }),
      (e) =>
        onProblem(
          /[\u3040-\u30ff\u4e00-\u9fff]/.test(e.message || "")
            ? e.message
            : "サインインできませんでした。もう一度サインインしてください。",
        ),
    );
  }, []);
  return (
    <main id="main" class="center">
      <p role="status">{problem || "サインインしています…"}</p>
      {problem ? <Link to="/">サインイン画面へ</Link> : null}
    </main>
  );
}

// Local stack only: "#local-sign-in=212172:admin" signs in directly, so tools that open a URL
// (Lighthouse, screenshots) can reach a page. The local stack mints tokens for anyone anyway.
async function localShortcut() {
  const m = location.hash.match(/^#local-sign-in=(\d{6}):(admin|coordinator|viewer)$/);
  if (config().auth !== "local" || !m) return;
  history.replaceState(null, "", location.pathname + location.search);
  await signInLocal({ lg_code: m[1], staff_role: m[2] }).catch(() => {});
}

loadConfig().then(
  async () => {
    await localShortcut();
    render(<App />, document.getElementById("app"));
  },
  () => {
    document.getElementById("app").textContent =
      "設定を読み込めませんでした。管理者に連絡してください。";
  },
);
