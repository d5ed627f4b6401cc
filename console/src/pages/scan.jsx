// Staff scanning of members' cards: the device camera (getUserMedia) decoded with jsQR, or a code
// typed or sent by a handheld scanner. Each result is shown large enough to read at arm's length.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, lg, nonce } from "../api.js";
import { ApiError } from "../errors.js";
import { Link, PageTitle, useLoad } from "../ui.jsx";

export function Scan({ id }) {
  const activity = useLoad(() => api.get(lg(`/activities/${id}`)), [id]);
  const [result, setResult] = useState(null);
  const [camera, setCamera] = useState("off");
  const [manual, setManual] = useState("");
  const video = useRef(null);
  const stream = useRef(null);
  const last = useRef({ code: "", at: 0 });
  const busy = useRef(false);

  const submit = async (code) => {
    const text = code.trim();
    if (!text || busy.current) return;
    // The same card held in front of the camera: one request per card every few seconds.
    if (text === last.current.code && Date.now() - last.current.at < 4000) return;
    last.current = { code: text, at: Date.now() };
    busy.current = true;
    try {
      const r = await api.create(lg(`/activities/${id}/checkins`), { member_token: text, nonce: nonce() });
      setResult({
        ok: true,
        title: r.status === "recorded" ? "受付しました" : "受付済みです",
        detail: r.registered ? "登録者の参加を記録しました。" : "この自治体への登録はまだありません（参加は記録しました）。",
      });
    } catch (e) {
      setResult({ ok: false, title: "受付できません", detail: e instanceof ApiError ? e.japanese : String(e) });
    } finally {
      busy.current = false;
    }
  };

  const stop = () => {
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setCamera("off");
  };

  const startCamera = async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      setCamera("unavailable");
      return;
    }
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch {
      setCamera("denied");
      return;
    }
    setCamera("on");
    const jsQR = (await import("jsqr")).default;
    const v = video.current;
    v.srcObject = stream.current;
    await v.play().catch(() => {});
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const loop = () => {
      if (!stream.current) return;
      if (v.readyState >= 2 && v.videoWidth) {
        canvas.width = v.videoWidth;
        canvas.height = v.videoHeight;
        ctx.drawImage(v, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (found?.data) submit(found.data);
      }
      setTimeout(loop, 200);
    };
    loop();
  };

  useEffect(() => stop, []);

  const name = activity.data?.name || "";
  return (
    <section class="scan">
      <PageTitle>会員証の読み取り</PageTitle>
      <p>{name}</p>
      <div class="scan-camera">
        <video ref={video} muted playsInline aria-label="カメラの映像" hidden={camera !== "on"} />
        {camera === "on" ? (
          <button type="button" class="secondary" onClick={stop}>
            カメラを止める
          </button>
        ) : (
          <button type="button" onClick={startCamera}>
            カメラで読み取る
          </button>
        )}
        {camera === "denied" ? <p class="error-box">カメラを使えません。ブラウザの設定でカメラを許可してください。</p> : null}
        {camera === "unavailable" ? <p class="error-box">この端末ではカメラを使えません。下の欄に入力してください。</p> : null}
      </div>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          last.current = { code: "", at: 0 };
          submit(manual);
          setManual("");
        }}
      >
        <label for="member-code">会員証のコード（読み取り機・手入力）</label>
        <input id="member-code" value={manual} onInput={(e) => setManual(e.currentTarget.value)} autoComplete="off" />
        <button type="submit">受付する</button>
      </form>
      <div class={`scan-result ${result ? (result.ok ? "ok" : "ng") : ""}`} role="status" aria-live="assertive">
        {result ? (
          <>
            <p class="scan-title">{result.title}</p>
            <p>{result.detail}</p>
          </>
        ) : (
          <p>会員証のQRコードを読み取ると、ここに結果が大きく表示されます。</p>
        )}
      </div>
      <p>
        <Link to={`/activities/${id}`}>活動の画面へ戻る</Link>
      </p>
    </section>
  );
}
