/**
 * Small dense float64 linear algebra on the host. TF.js has no SVD or pinv (tfjs#110), and the
 * resize matrices are at most ~48x48, so they are built here once per size pair and then uploaded.
 */

/** A row-major float64 matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

export function transpose(a: Mat): Mat {
  const t = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const c = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += aik * b.data[k * b.cols + j];
    }
  }
  return c;
}

/** Kronecker product a ⊗ b: the 2-D separable operator acting on row-major flattened grids. */
export function kron(a: Mat, b: Mat): Mat {
  const out = mat(a.rows * b.rows, a.cols * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) {
      const aij = a.data[i * a.cols + j];
      if (aij === 0) continue;
      for (let k = 0; k < b.rows; k++)
        for (let l = 0; l < b.cols; l++)
          out.data[(i * b.rows + k) * out.cols + j * b.cols + l] = aij * b.data[k * b.cols + l];
    }
  return out;
}

/**
 * Thin SVD by one-sided Jacobi rotations (accurate to ~1e-15 for the small, well-scaled matrices
 * used here). Returns U (m×n), s (n), V (n×n) with a = U·diag(s)·Vᵀ, for m ≥ n.
 */
function jacobiSvd(a: Mat): { u: Mat; s: Float64Array; v: Mat } {
  const { rows: m, cols: n } = a;
  const u = mat(m, n, a.data.slice());
  const v = mat(n, n);
  for (let i = 0; i < n; i++) v.data[i * n + i] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u.data[i * n + p];
          const uq = u.data[i * n + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const up = u.data[i * n + p];
          const uq = u.data[i * n + q];
          u.data[i * n + p] = c * up - s * uq;
          u.data[i * n + q] = s * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v.data[i * n + p];
          const vq = v.data[i * n + q];
          v.data[i * n + p] = c * vp - s * vq;
          v.data[i * n + q] = s * vp + c * vq;
        }
      }
    }
    if (off <= eps) break;
  }
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm += u.data[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    s[j] = norm;
    if (norm > 0) for (let i = 0; i < m; i++) u.data[i * n + j] /= norm;
  }
  return { u, s, v };
}

/**
 * Moore–Penrose pseudo-inverse. Singular values below max(m, n)·eps·σmax are treated as zero
 * (the default cut-off of numpy's matrix_rank and torch.linalg.pinv).
 */
export function pinv(a: Mat): Mat {
  if (a.rows < a.cols) return transpose(pinv(transpose(a)));
  const { u, s, v } = jacobiSvd(a);
  const n = a.cols;
  const smax = Math.max(0, ...s);
  const cutoff = Math.max(a.rows, a.cols) * 2.220446049250313e-16 * smax;
  // pinv = V · diag(1/s) · Uᵀ  (n × m)
  const out = mat(n, a.rows);
  for (let k = 0; k < n; k++) {
    if (s[k] <= cutoff) continue;
    const inv = 1 / s[k];
    for (let i = 0; i < n; i++) {
      const vik = v.data[i * n + k] * inv;
      if (vik === 0) continue;
      for (let j = 0; j < a.rows; j++) out.data[i * a.rows + j] += vik * u.data[j * n + k];
    }
  }
  return out;
}
