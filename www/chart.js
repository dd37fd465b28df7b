// A small SVG chart: training loss per step (left axis) and validation loss / accuracy /
// macro-F1 per epoch (markers). No chart library.
const NS = "http://www.w3.org/2000/svg";
const W = 640, H = 260, PAD = { l: 44, r: 44, t: 24, b: 28 };

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export class TrainingChart {
  constructor(svg) {
    this.svg = svg;
    this.reset();
  }

  reset(totalSteps = 1, stepsPerEpoch = 1) {
    this.totalSteps = Math.max(1, totalSteps);
    this.stepsPerEpoch = Math.max(1, stepsPerEpoch);
    this.losses = [];
    this.epochs = [];
    this.draw();
  }

  addStep(step, loss) {
    this.losses.push([step, loss]);
    // Redraw at most ~30 times a second.
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.draw(); });
    }
  }

  addEpoch(epoch, metrics) {
    this.epochs.push({ step: epoch * this.stepsPerEpoch, ...metrics });
    this.draw();
  }

  draw() {
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b;
    const losses = this.losses.map((l) => l[1]).concat(this.epochs.map((e) => e.loss).filter((x) => x != null));
    const maxLoss = Math.max(0.1, ...losses.filter(Number.isFinite)) * 1.05;
    const x = (s) => PAD.l + (s / this.totalSteps) * iw;
    const yl = (v) => PAD.t + ih - (v / maxLoss) * ih;
    const yp = (v) => PAD.t + ih - v * ih;

    svg.appendChild(el("rect", { x: PAD.l, y: PAD.t, width: iw, height: ih, class: "plot" }));
    for (let i = 0; i <= 4; i++) {
      const v = (maxLoss * i) / 4, y = yl(v);
      svg.appendChild(el("line", { x1: PAD.l, x2: PAD.l + iw, y1: y, y2: y, class: "grid" }));
      svg.appendChild(el("text", { x: PAD.l - 6, y: y + 4, class: "tick", "text-anchor": "end" }, v.toFixed(2)));
      svg.appendChild(el("text", { x: PAD.l + iw + 6, y: yp(i / 4) + 4, class: "tick" }, `${i * 25}%`));
    }
    for (let e = 1; e * this.stepsPerEpoch <= this.totalSteps; e++) {
      const xe = x(e * this.stepsPerEpoch);
      svg.appendChild(el("line", { x1: xe, x2: xe, y1: PAD.t, y2: PAD.t + ih, class: "epoch" }));
      svg.appendChild(el("text", { x: xe, y: H - 8, class: "tick", "text-anchor": "middle" }, `epoch ${e}`));
    }
    svg.appendChild(el("text", { x: 4, y: 12, class: "axis" }, "loss"));
    svg.appendChild(el("text", { x: W - 4, y: 12, class: "axis", "text-anchor": "end" }, "accuracy, F1"));

    if (this.losses.length) {
      // Downsample to at most one point per pixel column.
      const stride = Math.max(1, Math.floor(this.losses.length / iw));
      const pts = this.losses.filter((_, i) => i % stride === 0).map(([s, l]) => `${x(s).toFixed(1)},${yl(l).toFixed(1)}`);
      svg.appendChild(el("polyline", { points: pts.join(" "), class: "loss" }));
    }
    /** @type {Array<[string, (v: number) => number, string]>} */
    const series = [["loss", yl, "vloss"], ["accuracy", yp, "vacc"], ["macroF1", yp, "vf1"]];
    for (const [key, y, cls] of series) {
      const pts = this.epochs.filter((e) => e[key] != null).map((e) => [x(e.step), y(e[key])]);
      if (pts.length > 1) svg.appendChild(el("polyline", { points: pts.map((p) => p.join(",")).join(" "), class: cls }));
      for (const [px, py] of pts) svg.appendChild(el("circle", { cx: px, cy: py, r: 4, class: cls }));
    }
  }
}
