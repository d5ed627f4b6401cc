// Every error a clerk sees is Japanese: the API's codes and its field messages are translated here.

const CODE_MESSAGES = {
  VALIDATION_ERROR: "入力内容に誤りがあります。赤字の項目を確認してください。",
  UNAUTHENTICATED: "サインインの有効期限が切れました。もう一度サインインしてください。",
  FORBIDDEN: "この操作を行う権限がありません。",
  NOT_FOUND: "見つかりませんでした。削除されたか、別の自治体のデータです。",
  METHOD_NOT_ALLOWED: "この操作はできません。",
  NOT_IMPLEMENTED: "この機能はまだ利用できません。",
  PAYLOAD_TOO_LARGE: "ファイルが大きすぎます（10 MB まで）。",
  RATE_LIMITED: "操作が集中しています。少し待ってからやり直してください。",
  UNAVAILABLE: "ただいま混み合っています。少し待ってからやり直してください。",
  INTERNAL: "システムでエラーが起きました。時間をおいてやり直してください。",
  IDEMPOTENCY_KEY_REUSED: "同じ操作が別の内容で送信されました。画面を読み込み直してください。",
  ALREADY_ONBOARDED: "この自治体はすでに登録されています。",
  ACTIVITY_CANCELLED: "この活動は中止されています。",
  OUTSIDE_WINDOW: "受付時間外です。",
  TOKEN_EXPIRED: "会員証のコードの有効期限が切れています。アプリで会員証を開き直してもらってください。",
  INVALID_TOKEN: "読み取ったコードは会員証ではありません。",
  NOT_DECIDABLE: "この申請は今の状態では判断できません。",
  NOT_PENDING_REVIEW: "この登録は審査待ちではありません（すでに判断済みです）。",
  WRONG_CHECKIN_MODE: "この活動の受付方法ではこの操作はできません。",
  CONCURRENT_UPDATE: "同時に別の更新がありました。もう一度お試しください。",
  CONFLICT: "ほかの操作と重なりました。画面を読み込み直してください。",
  STAFF_ALREADY_EXISTS: "このメールアドレスのアカウントはすでにあります。",
  IMPORT_NOT_COMMITTABLE: "この取込は今の状態では取り込めません。確認結果を見直してください。",
  IMPORT_FILE_REJECTED: "このファイルは取り込めません。",
  LG_NOT_ONBOARDED: "この自治体はまだ登録されていません。",
  NOT_ELIGIBLE: "申請の条件を満たしていません。",
  MEASURE_CLOSED: "この支援制度の受付は終了しています。",
  BUDGET_EXHAUSTED: "予算の上限に達しています。",
  NOT_REGISTERED: "この自治体に登録していない方です。",
  AMOUNT_OVER_LIMIT: "金額が上限を超えています。",
  RETURN_GIFT_NOT_ALLOWED: "返礼品にあたる支給方法は選べません。",
  NETWORK: "サーバーに接続できませんでした。通信環境を確認してください。",
};

// The API's field messages (English, fixed wording) -> what a clerk reads.
const FIELD_PATTERNS = [
  [/^required$|^must not be null$/, () => "入力してください。"],
  [/^unknown field$/, () => "この項目は使えません。"],
  [/^must be a string$/, () => "文字で入力してください。"],
  [/^one of: /, () => "選択肢から選んでください。"],
  [/^(\d+) to (\d+) characters$/, (m) => `${m[1]}〜${m[2]}文字で入力してください。`],
  [/^must match /, () => "形式が正しくありません。"],
  [/^must be an integer$/, () => "整数で入力してください。"],
  [/^between (\S+) and (\S+)$/, (m) => `${m[1]}〜${m[2]}の範囲で入力してください。`],
  [/^must be a number$/, () => "数値で入力してください。"],
  [/true or false/, () => "はい・いいえを選んでください。"],
  [/^a date/, () => "日付を入力してください。"],
  [/^not a calendar date$/, () => "存在しない日付です。"],
  [/ISO 8601 instant/, () => "日時を入力してください。"],
  [/^must be a list$/, () => "一覧で指定してください。"],
  [/^(\d+) to (\d+) items$/, (m) => `${m[1]}〜${m[2]}件にしてください。`],
  [/^on or after from$/, () => "開始日以降の日付にしてください。"],
  [/after starts_at|before ends_at|after the start/, () => "終了は開始より後にしてください。"],
  [/^6 digits/, () => "6桁の全国地方公共団体コードを入力してください。"],
  [/e-?mail/i, () => "メールアドレスの形式が正しくありません。"],
];

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

export function fieldMessage(text) {
  const raw = String(text ?? "");
  if (JAPANESE.test(raw)) return raw;
  for (const [pattern, make] of FIELD_PATTERNS) {
    const m = raw.match(pattern);
    if (m) return make(m);
  }
  return "入力内容を確認してください。";
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  // The sentence shown at the top of a form or page.
  get japanese() {
    if (JAPANESE.test(this.message)) return this.message;
    return CODE_MESSAGES[this.code] || `処理できませんでした（${this.code}）。`;
  }

  // {field path: Japanese message} for the fields the API named.
  get fields() {
    const out = {};
    for (const [path, text] of Object.entries(this.details)) {
      if (typeof text === "string") out[path] = fieldMessage(text);
    }
    return out;
  }
}
