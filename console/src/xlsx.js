// Reads the rows of one sheet of an xlsx file (the import report) in the browser: unzip with
// fflate, then the sheet's XML. Loaded only by the backfill page.
import { strFromU8, unzipSync } from "fflate";

function xml(text) {
  return new DOMParser().parseFromString(text, "application/xml");
}

function columnIndex(ref) {
  const letters = ref.replace(/[0-9]/g, "");
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function readSheet(buffer, sheetName) {
  const files = unzipSync(new Uint8Array(buffer));
  const text = (path) => (files[path] ? strFromU8(files[path]) : null);
  const shared = [];
  const sst = text("xl/sharedStrings.xml");
  if (sst) {
    for (const si of xml(sst).getElementsByTagName("si")) {
      shared.push(Array.from(si.getElementsByTagName("t"), (t) => t.textContent).join(""));
    }
  }
  // The sheet's file: workbook.xml names it, its relationships give the path.
  const workbook = xml(text("xl/workbook.xml"));
  const rels = xml(text("xl/_rels/workbook.xml.rels"));
  let target = "worksheets/sheet1.xml";
  for (const sheet of workbook.getElementsByTagName("sheet")) {
    if (sheet.getAttribute("name") === sheetName) {
      const rid = sheet.getAttribute("r:id") || sheet.getAttributeNS("http://schemas.openxmlformats.org/officeDocument/2006/relationships", "id");
      for (const rel of rels.getElementsByTagName("Relationship")) {
        if (rel.getAttribute("Id") === rid) target = rel.getAttribute("Target").replace(/^\/?xl\//, "");
      }
    }
  }
  const sheetXml = text(`xl/${target}`);
  if (!sheetXml) return [];
  const rows = [];
  for (const row of xml(sheetXml).getElementsByTagName("row")) {
    const cells = [];
    for (const c of row.getElementsByTagName("c")) {
      const ref = c.getAttribute("r");
      const index = ref ? columnIndex(ref) : cells.length;
      const type = c.getAttribute("t");
      let value = "";
      if (type === "inlineStr") value = Array.from(c.getElementsByTagName("t"), (t) => t.textContent).join("");
      else {
        const v = c.getElementsByTagName("v")[0]?.textContent ?? "";
        value = type === "s" ? shared[Number(v)] ?? "" : v;
      }
      cells[index] = value;
    }
    rows.push(Array.from(cells, (v) => v ?? ""));
  }
  return rows;
}
