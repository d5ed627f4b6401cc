import { useEffect } from "preact/hooks";
import { signInLocal, startHostedSignIn } from "../auth.js";
import { config } from "../config.js";
import { api } from "../api.js";
import { ErrorBox, FormStatus, Input, Select, useForm, useLoad } from "../ui.jsx";
import { ROLE_LABELS } from "../roles.js";

export function SignIn({ returnTo }) {
  useEffect(() => {
    document.title = "サインイン | ふるさと住民登録 管理画面";
  }, []);
  const c = config();
  return (
    <main id="main" class="signin">
      <h1>ふるさと住民登録 管理画面</h1>
      {c.auth === "cognito" ? <HostedSignIn returnTo={returnTo} /> : <LocalSignIn />}
    </main>
  );
}

function HostedSignIn({ returnTo }) {
  return (
    <section class="card">
      <p>自治体の職員アカウントでサインインします。多要素認証の確認を求められたら、認証アプリのコードを入力してください。</p>
      <button type="button" onClick={() => startHostedSignIn(returnTo)}>
        サインイン
      </button>
    </section>
  );
}

function LocalSignIn() {
  const governments = useLoad(() => api.get("/v1/local-governments"), []);
  const form = useForm({ who: "staff", lg_code: "", staff_role: "admin", org_id: "" });
  const items = governments.data?.items || [];
  const lgOptions = [["", "選んでください"], ...items.map((g) => [g.lg_code, `${g.name}（${g.lg_code}）`])];
  const isOperator = form.values.who === "operator";
  const onSubmit = form.submit(async (v) => {
    if (!isOperator && !v.lg_code) {
      form.setErrors({ lg_code: "自治体を選んでください。" });
      throw new Error("自治体を選んでください。");
    }
    await signInLocal({
      operator: isOperator,
      lg_code: v.lg_code,
      staff_role: v.staff_role,
      org_id: v.org_id || undefined,
    });
  });
  return (
    <form class="card" onSubmit={onSubmit} aria-labelledby="signin-title">
      <h2 id="signin-title">ローカル環境でサインイン</h2>
      <p class="hint">ローカル環境では、自治体・役割・団体を選んでサインインします。</p>
      <ErrorBox error={governments.error} />
      <Select
        form={form}
        name="who"
        label="利用者の種類"
        options={[
          ["staff", "自治体の職員"],
          ["operator", "運用者（国・運営事務局）"],
        ]}
      />
      {isOperator ? null : (
        <>
          <Select form={form} name="lg_code" label="自治体" options={lgOptions} required />
          <Select
            form={form}
            name="staff_role"
            label="役割"
            options={Object.entries(ROLE_LABELS)}
          />
          {form.values.staff_role === "org" ? (
            <Input form={form} name="org_id" label="団体ID" hint="団体職員は所属団体のIDを入力します（例: org_...）" />
          ) : null}
        </>
      )}
      <FormStatus form={form} shown={["lg_code", "staff_role", "org_id"]} />
      <button type="submit" disabled={form.busy}>
        サインイン
      </button>
    </form>
  );
}
