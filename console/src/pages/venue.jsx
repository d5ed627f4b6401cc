// The full-screen venue page: the rotating code, fetched again before each one expires.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, lg } from "../api.js";
import { dateTime } from "../format.js";
import { ErrorBox, Link } from "../ui.jsx";
import { QrCode } from "./qr.jsx";

export function Venue({ id }) {
  const [activity, setActivity] = useState(null);
  const [live, setLive] = useState(null);
  const [error, setError] = useState(null);
  const [now, setNow] = useState(Date.now());
  const timer = useRef(null);

  useEffect(() => {
    document.title = "会場画面 | ふるさと住民登録 管理画面";
    api.get(lg(`/activities/${id}`)).then(setActivity, setError);
    let stopped = false;
    const next = async () => {
      try {
        const token = await api.get(lg(`/activities/${id}/live-token`));
        if (stopped) return;
        setLive(token);
        setError(null);
        // Ask for the next code at refresh_at (before valid_until), a little early for slow networks.
        const wait = Math.max(1000, Date.parse(token.refresh_at) - Date.now() - 500);
        timer.current = setTimeout(next, wait);
      } catch (e) {
        if (stopped) return;
        setError(e);
        timer.current = setTimeout(next, 5000);
      }
    };
    next();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      clearTimeout(timer.current);
      clearInterval(tick);
    };
  }, [id]);

  const fullScreen = () => document.documentElement.requestFullscreen?.().catch(() => {});
  const seconds = live ? Math.max(0, Math.round((Date.parse(live.refresh_at) - now) / 1000)) : null;
  return (
    <main id="main" class="venue">
      <h1>{activity ? activity.name : "会場画面"}</h1>
      {activity ? (
        <p class="venue-when">
          {dateTime(activity.starts_at)} 〜 {dateTime(activity.ends_at)} ／ {activity.place}
        </p>
      ) : null}
      <p class="venue-lead">アプリの「QRコードを読み取る」で、この画面のコードを読み取ってください。</p>
      <div class="venue-code" data-token={live?.token || ""}>
        {live ? <QrCode text={live.url} label="参加受付のQRコード" size={Math.min(520, window.innerHeight - 260)} /> : null}
      </div>
      {seconds !== null ? (
        <p class="venue-count" aria-live="off">
          {seconds} 秒後に新しいコードに切り替わります
        </p>
      ) : null}
      <ErrorBox error={error} />
      <p class="venue-tools">
        <button type="button" class="secondary" onClick={fullScreen}>
          全画面にする
        </button>
        <Link to={`/activities/${id}`}>活動の画面へ戻る</Link>
      </p>
    </main>
  );
}
