// A preview of the safe Markdown subset the API accepts, built as elements (never as HTML text):
// headings, paragraphs, lists, emphasis and http(s) links. The published rendering is the API's.

function inline(text) {
  const out = [];
  const pattern = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  let m;
  while ((m = pattern.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(<strong>{m[1]}</strong>);
    else out.push(
      <a href={m[3]} rel="noopener noreferrer" target="_blank">
        {m[2]}
      </a>,
    );
    last = pattern.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ text }) {
  const blocks = [];
  let list = null;
  let para = [];
  const flush = () => {
    if (para.length) blocks.push(<p>{inline(para.join(" "))}</p>);
    para = [];
    if (list) blocks.push(<ul>{list}</ul>);
    list = null;
  };
  for (const raw of String(text || "").split("\n")) {
    const line = raw.trimEnd();
    const heading = line.match(/^(#{1,3})\s+(.*)$/);
    const item = line.match(/^\s*[-*]\s+(.*)$/);
    if (!line.trim()) flush();
    else if (heading) {
      flush();
      const level = heading[1].length + 2;
      const H = `h${Math.min(level, 6)}`;
      blocks.push(<H>{inline(heading[2])}</H>);
    } else if (item) {
      if (para.length) {
        blocks.push(<p>{inline(para.join(" "))}</p>);
        para = [];
      }
      list = list || [];
      list.push(<li>{inline(item[1])}</li>);
    } else {
      if (list) {
        blocks.push(<ul>{list}</ul>);
        list = null;
      }
      para.push(line.trim());
    }
  }
  flush();
  return <div class="markdown">{blocks}</div>;
}
