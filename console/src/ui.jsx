// Shared building blocks: links, loading, forms whose errors sit next to the field the API named.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { href, navigate } from "./router.js";
import { ApiError } from "./errors.js";

export function Link({ to, children, ...rest }) {
  return (
    <a
      href={href(to)}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}

export function useLoad(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    return load().then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload, setData: (data) => setState((s) => ({ ...s, data })) };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  const text = error instanceof ApiError ? error.japanese : error.message || String(error);
  return (
    <p class="error-box" role="alert">
      {text}
    </p>
  );
}

export function Loading({ state, children }) {
  if (state.error) return <ErrorBox error={state.error} />;
  if (state.loading && !state.data) return <p aria-live="polite">読み込んでいます…</p>;
  return children(state.data);
}

export function Notice({ text }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text || ""}
    </p>
  );
}

// Form state: values, per-field errors (API paths such as "questions[0].label") and a general error.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  const set = (name, value) => setValues((v) => ({ ...v, [name]: value }));
  const submit = (action, doneText = "") => async (e) => {
    e?.preventDefault?.();
    setBusy(true);
    setErrors({});
    setError(null);
    setDone("");
    try {
      await action(values);
      setDone(doneText);
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { values, setValues, set, errors, setErrors, error, setError, busy, done, submit };
}

let ids = 0;
function useId(name) {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `f-${name.replace(/[^a-z0-9]/gi, "-")}-${++ids}`;
  return ref.current;
}

function FieldShell({ id, label, error, hint, children, required }) {
  return (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for={id}>
        {label}
        {required ? <span class="req">（必須）</span> : null}
      </label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id, error, hint) {
  return [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
}

// A text-like input bound to form.values[name]; `error` defaults to the API's error for `name`.
export function Input({ form, name, label, type = "text", hint, required, error, disabled, ...rest }) {
  const id = useId(name);
  const err = error ?? form.errors[name];
  const value = form.values[name];
  return (
    <FieldShell id={id} label={label} error={err} hint={hint} required={required}>
      <input
        id={id}
        name={name}
        type={type}
        value={value ?? ""}
        required={required}
        disabled={disabled}
        aria-invalid={err ? "true" : undefined}
        aria-describedby={describedBy(id, err, hint)}
        onInput={(e) => form.set(name, type === "number" ? e.currentTarget.value : e.currentTarget.value)}
        {...rest}
      />
    </FieldShell>
  );
}

export function TextArea({ form, name, label, hint, required, error, rows = 6, disabled }) {
  const id = useId(name);
  const err = error ?? form.errors[name];
  return (
    <FieldShell id={id} label={label} error={err} hint={hint} required={required}>
      <textarea
        id={id}
        name={name}
        rows={rows}
        value={form.values[name] ?? ""}
        required={required}
        disabled={disabled}
        aria-invalid={err ? "true" : undefined}
        aria-describedby={describedBy(id, err, hint)}
        onInput={(e) => form.set(name, e.currentTarget.value)}
      />
    </FieldShell>
  );
}

export function Select({ form, name, label, options, hint, required, error, disabled }) {
  const id = useId(name);
  const err = error ?? form.errors[name];
  return (
    <FieldShell id={id} label={label} error={err} hint={hint} required={required}>
      <select
        id={id}
        name={name}
        value={form.values[name] ?? ""}
        disabled={disabled}
        aria-invalid={err ? "true" : undefined}
        aria-describedby={describedBy(id, err, hint)}
        onChange={(e) => form.set(name, e.currentTarget.value)}
      >
        {options.map(([value, text]) => (
          <option value={value}>{text}</option>
        ))}
      </select>
    </FieldShell>
  );
}

export function Checkbox({ form, name, label, error, disabled }) {
  const id = useId(name);
  const err = error ?? form.errors[name];
  return (
    <div class={`field checkbox${err ? " has-error" : ""}`}>
      <input
        id={id}
        type="checkbox"
        checked={!!form.values[name]}
        disabled={disabled}
        aria-invalid={err ? "true" : undefined}
        aria-describedby={err ? `${id}-error` : undefined}
        onChange={(e) => form.set(name, e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {err ? (
        <p class="field-error" id={`${id}-error`}>
          {err}
        </p>
      ) : null}
    </div>
  );
}

// The general error (with field errors the form does not show) and the success note.
export function FormStatus({ form, shown = [] }) {
  const rest = Object.entries(form.errors).filter(([k]) => !shown.includes(k));
  return (
    <>
      <ErrorBox error={form.error} />
      {rest.length ? (
        <ul class="error-list">
          {rest.map(([k, v]) => (
            <li>
              {k}: {v}
            </li>
          ))}
        </ul>
      ) : null}
      <Notice text={form.done} />
    </>
  );
}

export function MoreButton({ cursor, onMore }) {
  if (!cursor) return null;
  return (
    <button type="button" class="secondary" onClick={onMore}>
      さらに表示
    </button>
  );
}

// A list endpoint with "さらに表示": items accumulate across pages.
export function usePaged(fetchPage, deps = []) {
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const load = useCallback(
    async (next) => {
      setLoading(true);
      try {
        const page = await fetchPage(next);
        setItems((old) => (next ? [...old, ...page.items] : page.items));
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        setError(e);
      } finally {
        setLoading(false);
      }
    },
    deps,
  );
  useEffect(() => {
    load(null);
  }, [load]);
  return { items, cursor, error, loading, reload: () => load(null), more: () => load(cursor), setItems };
}

export function PageTitle({ children, actions }) {
  useEffect(() => {
    const text = typeof children === "string" ? children : "";
    if (text) document.title = `${text} | ふるさと住民登録 管理画面`;
  }, [children]);
  return (
    <div class="page-head">
      <h1 tabIndex={-1} id="page-title">
        {children}
      </h1>
      {actions ? <div class="actions">{actions}</div> : null}
    </div>
  );
}
