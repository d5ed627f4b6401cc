// A QR code drawn as SVG rectangles (no images, no inline scripts): the encoder loads on demand.
import { useEffect, useState } from "preact/hooks";

let encoder = null;
async function loadEncoder() {
  if (!encoder) encoder = (await import("qrcode-generator")).default;
  return encoder;
}

export function QrCode({ text, label, size = 320 }) {
  const [path, setPath] = useState(null);
  useEffect(() => {
    let live = true;
    loadEncoder().then((qrcode) => {
      const qr = qrcode(0, "M");
      qr.addData(text);
      qr.make();
      const n = qr.getModuleCount();
      let d = "";
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
      if (live) setPath({ d, n: n + 8 });
    });
    return () => {
      live = false;
    };
  }, [text]);
  if (!path) return <div style={{ width: size, height: size }} aria-busy="true" />;
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${path.n} ${path.n}`}
      width={size}
      height={size}
      shape-rendering="crispEdges"
      class="qr"
    >
      <rect width={path.n} height={path.n} fill="#fff" />
      <path d={path.d} fill="#000" />
    </svg>
  );
}
