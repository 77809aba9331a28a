/** Reading the statistics SVG charts in tests as a viewer would: validated XML, then the y axis's tick labels. */
import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => name === "g" });

export function yAxisLabels(svg: string): string[] {
  assert.equal(XMLValidator.validate(svg), true);
  const axis = parser.parse(svg).svg.g.find((group: Record<string, unknown>) => group["@_class"] === "y-axis");
  return (axis.g ?? []).map((tick: { text: { "#text": string } }) => tick.text["#text"]);
}
