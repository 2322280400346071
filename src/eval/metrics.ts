/**
 * Image-quality metrics in float64 on 2-D images (one slice at one offset): SSIM exactly as
 * scikit-image's `structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1)` (Wang et al. 2004), PSNR, MSE, MAE and the
 * linear regression of prediction on reference. Images are flat arrays, x fastest
 * (`img[x + width·y]`), which is how a NIfTI slice lies in memory.
 * @module
 */

/** A flat 2-D image, x fastest. */
export type Image2D = ArrayLike<number>;

/** Options of {@link ssim} / {@link ssimMap}. */
export interface SsimOptions {
  /** Data range L of the images (default 1: Z values). */
  dataRange?: number;
  /** Gaussian σ in pixels (default 1.5). */
  sigma?: number;
  /** The window is cut at truncate·σ as scipy.ndimage does (default 3.5 → 11×11 for σ 1.5). */
  truncate?: number;
  /** Stabiliser constants (defaults 0.01 and 0.03). */
  k1?: number;
  k2?: number;
}

/**
 * The normalised 1-D Gaussian weights scipy.ndimage.gaussian_filter uses: radius
 * `int(truncate·σ + 0.5)`, weights ∝ exp(−x²/2σ²).
 */
export function gaussianWindow(sigma = 1.5, truncate = 3.5): Float64Array {
  const r = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += w[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
  for (let i = 0; i < w.length; i++) w[i]! /= sum;
  return w;
}

/** scipy's "reflect" (half-sample symmetric) index: d c b a | a b c d | d c b a. */
function _reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  i = ((i % p) + p) % p;
  return i < n ? i : p - 1 - i;
}

/** For each output position, the reflected input index of each tap (flattened n × taps). */
function _reflectTable(n: number, r: number): Int32Array {
  const taps = 2 * r + 1;
  const t = new Int32Array(n * taps);
  for (let i = 0; i < n; i++) {
    for (let k = -r; k <= r; k++) t[i * taps + k + r] = _reflect(i + k, n);
  }
  return t;
}

/** Separable correlation with `w` along x then y, reflect boundaries. */
function _filter(img: Float64Array, width: number, height: number, w: Float64Array): Float64Array {
  const taps = w.length, r = (taps - 1) / 2;
  const tx = _reflectTable(width, r), ty = _reflectTable(height, r);
  const tmp = new Float64Array(img.length), out = new Float64Array(img.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) s += w[k]! * img[row + tx[x * taps + k]!]!;
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < taps; k++) {
      const wk = w[k]!, src = ty[y * taps + k]! * width, dst = y * width;
      for (let x = 0; x < width; x++) out[dst + x]! += wk * tmp[src + x]!;
    }
  }
  return out;
}

function _checkImages(a: Image2D, b: Image2D, width: number, height: number): void {
  if (a.length !== width * height || b.length !== width * height) {
    throw new TypeError(
      `Expected two ${width}×${height} images (${
        width * height
      } values) but found ${a.length} and ${b.length}`,
    );
  }
}

/**
 * The local SSIM map (Gaussian-weighted means, population covariances) and the border
 * `pad` = (window − 1)/2 that scikit-image crops before averaging.
 * @throws RangeError when an image side is smaller than the window (11 for σ 1.5)
 */
export function ssimMap(
  a: Image2D,
  b: Image2D,
  width: number,
  height: number,
  opts: SsimOptions = {},
): { map: Float64Array; pad: number } {
  _checkImages(a, b, width, height);
  const w = gaussianWindow(opts.sigma ?? 1.5, opts.truncate ?? 3.5);
  if (width < w.length || height < w.length) {
    throw new RangeError(
      `SSIM needs images of at least ${w.length}×${w.length} pixels, found ${width}×${height}`,
    );
  }
  const L = opts.dataRange ?? 1;
  const c1 = ((opts.k1 ?? 0.01) * L) ** 2, c2 = ((opts.k2 ?? 0.03) * L) ** 2;
  const n = width * height;
  const x = Float64Array.from(a), y = Float64Array.from(b);
  const xx = new Float64Array(n), yy = new Float64Array(n), xy = new Float64Array(n);
  for (let i = 0; i < n; i++) xx[i] = x[i]! * x[i]!, yy[i] = y[i]! * y[i]!, xy[i] = x[i]! * y[i]!;
  const ux = _filter(x, width, height, w), uy = _filter(y, width, height, w);
  const uxx = _filter(xx, width, height, w),
    uyy = _filter(yy, width, height, w),
    uxy = _filter(xy, width, height, w);
  const map = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mx = ux[i]!, my = uy[i]!;
    const vx = uxx[i]! - mx * mx, vy = uyy[i]! - my * my, vxy = uxy[i]! - mx * my;
    map[i] = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return { map, pad: (w.length - 1) / 2 };
}

/**
 * Mean structural similarity of two images, as scikit-image computes it: the SSIM map
 * averaged over the image minus a border of (window − 1)/2 = 5 pixels. With a mask, only
 * masked pixels inside that border count.
 * @param a first image (prediction), x fastest
 * @param b second image (reference)
 * @param mask optional; pixels where mask ≠ 0 are averaged
 * @returns SSIM in [−1, 1]; 1 for identical images
 * @example
 * ```ts
 * ssim(pred, ref, 64, 64); // == skimage structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)
 * ```
 */
export function ssim(
  a: Image2D,
  b: Image2D,
  width: number,
  height: number,
  opts: SsimOptions & { mask?: ArrayLike<number> } = {},
): number {
  const { map, pad } = ssimMap(a, b, width, height, opts);
  let sum = 0, count = 0;
  for (let y = pad; y < height - pad; y++) {
    for (let x = pad; x < width - pad; x++) {
      const i = y * width + x;
      if (opts.mask && !opts.mask[i]) continue;
      sum += map[i]!;
      count++;
    }
  }
  return count ? sum / count : NaN;
}

function _pairs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  f: (x: number, y: number) => void,
): number {
  if (a.length !== b.length || (mask && mask.length !== a.length)) {
    throw new TypeError(
      `Expected arrays of equal length but found ${a.length}, ${b.length}${
        mask ? `, mask ${mask.length}` : ""
      }`,
    );
  }
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    f(a[i]!, b[i]!);
    n++;
  }
  return n;
}

/** Mean squared error over all (or masked) elements; NaN when none. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let s = 0;
  const n = _pairs(a, b, mask, (x, y) => s += (x - y) * (x - y));
  return n ? s / n : NaN;
}

/** Mean absolute error over all (or masked) elements; NaN when none. */
export function mae(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let s = 0;
  const n = _pairs(a, b, mask, (x, y) => s += Math.abs(x - y));
  return n ? s / n : NaN;
}

/**
 * Peak signal-to-noise ratio in dB, 10·log10(L² / MSE), with data range L = 1 by default
 * (Z values lie in [0, 1]); the same as scikit-image's `peak_signal_noise_ratio(ref, pred,
 * data_range=1)`. Infinity for identical images.
 */
export function psnr(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { dataRange?: number; mask?: ArrayLike<number> } = {},
): number {
  const L = opts.dataRange ?? 1;
  return 10 * Math.log10((L * L) / mse(a, b, opts.mask));
}

/** Least-squares line pred ≈ slope·ref + intercept and its coefficient of determination. */
export interface Regression {
  slope: number;
  intercept: number;
  /** R² = 1 − SS_res/SS_tot of pred about the fitted line (= Pearson r²). */
  r2: number;
  /** Number of points used. */
  n: number;
}

/**
 * Ordinary least squares of `pred` on `ref` (optionally masked), in float64.
 * @returns slope, intercept, R² (NaN when ref or pred is constant) and the count
 * @example
 * ```ts
 * linearRegression([0, 1, 2], [1, 3, 5]); // { slope: 2, intercept: 1, r2: 1, n: 3 }
 * ```
 */
export function linearRegression(
  ref: ArrayLike<number>,
  pred: ArrayLike<number>,
  mask?: ArrayLike<number>,
): Regression {
  let sx = 0, sy = 0;
  const n = _pairs(ref, pred, mask, (x, y) => (sx += x, sy += y));
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  _pairs(ref, pred, mask, (x, y) => {
    const dx = x - mx, dy = y - my;
    sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
  });
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : NaN;
  return { slope, intercept, r2, n };
}
