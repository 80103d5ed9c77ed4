//! Dense layers with 8-bit weights, for batches of few tokens.
//!
//! A query is a dozen tokens: each weight of the encoder is used a dozen
//! times per pass, so the pass is bound by reading the weights (42 MB in
//! f32, more than this machine's 16 MiB L3), not by arithmetic, and gemm's
//! packing of the weights for every call reads them twice more. Here each
//! weight is an `i8` with one scale per output (symmetric, per-channel:
//! 10.6 MB for MiniLM-L6, which stays in L3 between queries), laid out in
//! panels of [`PANEL`] outputs so that a panel is read front to back for
//! each [`ROWS`] rows of input. Weights are widened to f32 in registers and
//! multiplied in f32 with fused multiply-adds; the scale is applied once per
//! output at the end. Activations stay f32, so
//! the only rounding is that of the weights (cosine to the f32 vectors is
//! measured in `tests/model.rs` and the embed bench).

use rayon::prelude::*;

use super::native::SharedMut;

/// Outputs per panel: two 8-lane AVX registers.
pub const PANEL: usize = 16;
/// Rows of the input multiplied together against one panel.
const ROWS: usize = 6;
/// Multiply-adds below which one layer runs on one thread.
const PARALLEL_WORK: usize = 1 << 20;

/// A dense layer's weights as `i8`, one scale per output.
pub struct Int8Weights {
    /// Panel `p`, row `k` (input `k`), lane `j` is output `p·PANEL + j`.
    weights: Vec<i8>,
    scales: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Int8Weights {
    /// Quantizes `weight` (`inputs × outputs`, row-major); `None` when the
    /// outputs do not fill whole panels.
    pub fn quantize(weight: &[f32], inputs: usize, outputs: usize) -> Option<Int8Weights> {
        if outputs == 0 || !outputs.is_multiple_of(PANEL) || weight.len() != inputs * outputs {
            return None;
        }
        let mut scales = vec![0.0f32; outputs];
        for row in weight.chunks_exact(outputs) {
            for (s, w) in scales.iter_mut().zip(row) {
                *s = s.max(w.abs());
            }
        }
        for s in &mut scales {
            *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
        }
        let inverse: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
        let mut weights = vec![0i8; inputs * outputs];
        // Row by row of the source (read in order), each row's outputs
        // scattered to their panels; rounding half away from zero by
        // truncation, which vectorises where `round` is a libm call.
        for (k, row) in weight.chunks_exact(outputs).enumerate() {
            for (p, (lanes, inverse)) in row
                .chunks_exact(PANEL)
                .zip(inverse.chunks_exact(PANEL))
                .enumerate()
            {
                let out = &mut weights[(p * inputs + k) * PANEL..][..PANEL];
                for ((q, w), i) in out.iter_mut().zip(lanes).zip(inverse) {
                    let x = (w * i).clamp(-127.0, 127.0);
                    *q = (x + 0.5f32.copysign(x)) as i8;
                }
            }
        }
        Some(Int8Weights {
            weights,
            scales,
            inputs,
            outputs,
        })
    }

    /// `output = input · weight + bias` for `input` of `rows × inputs`.
    pub fn dense(&self, input: &[f32], bias: &[f32], output: &mut [f32]) {
        let rows = input.len() / self.inputs;
        debug_assert_eq!(output.len(), rows * self.outputs);
        let panels = self.outputs / PANEL;
        let out = SharedMut(output.as_mut_ptr());
        let run = |panel: usize| {
            let weights = &self.weights[panel * self.inputs * PANEL..][..self.inputs * PANEL];
            let at = panel * PANEL;
            let tail = Tail {
                bias: &bias[at..at + PANEL],
                scale: &self.scales[at..at + PANEL],
            };
            let out = &out;
            // SAFETY: each task writes the `PANEL` columns of its own panel,
            // in rows `0..rows` of `output` (`rows × outputs`), which no
            // other task writes.
            unsafe {
                panel_product(
                    input,
                    self.inputs,
                    weights,
                    out.0.add(at),
                    self.outputs,
                    &tail,
                )
            };
        };
        let threads = rayon::current_num_threads();
        if rows * self.inputs * self.outputs >= PARALLEL_WORK && threads > 1 {
            // One run of panels per thread.
            (0..panels)
                .into_par_iter()
                .with_min_len(panels.div_ceil(threads))
                .for_each(run);
        } else {
            (0..panels).for_each(run);
        }
    }
}

/// The columns of one panel: bias and scale per output.
struct Tail<'a> {
    bias: &'a [f32],
    scale: &'a [f32],
}

/// `out[r][j] = bias[j] + scale[j] · Σ_k input[r][k] · panel[k][j]` for every
/// row `r` of `input` (rows of `inputs`) and the `PANEL` lanes `j`.
///
/// # Safety
///
/// `out` points at column 0 of the panel in row 0 of a row-major buffer
/// with rows of `stride` elements, at least `input.len() / inputs` rows long.
unsafe fn panel_product(
    input: &[f32],
    inputs: usize,
    panel: &[i8],
    out: *mut f32,
    stride: usize,
    tail: &Tail<'_>,
) {
    #[cfg(target_arch = "x86_64")]
    if has_kernel() {
        // SAFETY: the CPU has AVX2 and FMA; the caller vouches for `out`.
        return unsafe { avx::panel_product(input, inputs, panel, out, stride, tail) };
    }
    for (r, x) in input.chunks_exact(inputs).enumerate() {
        let mut acc = [0.0f32; PANEL];
        for (xk, lanes) in x.iter().zip(panel.chunks_exact(PANEL)) {
            for (a, &w) in acc.iter_mut().zip(lanes) {
                *a += xk * f32::from(w);
            }
        }
        for (j, ((a, b), s)) in acc.iter().zip(tail.bias).zip(tail.scale).enumerate() {
            // SAFETY: row `r` and column `j < PANEL` lie in the buffer.
            unsafe { *out.add(r * stride + j) = b + s * a };
        }
    }
}

/// Whether this CPU runs the vectorised kernel (AVX2 and FMA); elsewhere
/// the scalar loop, far slower than f32 gemm.
pub(super) fn has_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    use super::{PANEL, ROWS, Tail};

    /// See [`super::panel_product`].
    ///
    /// # Safety
    ///
    /// As there, and the CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn panel_product(
        input: &[f32],
        inputs: usize,
        panel: &[i8],
        out: *mut f32,
        stride: usize,
        tail: &Tail<'_>,
    ) {
        assert!(panel.len() >= inputs * PANEL && tail.bias.len() == PANEL);
        let rows = input.len() / inputs;
        let mut r = 0;
        while r < rows {
            let n = (rows - r).min(ROWS);
            let x = &input[r * inputs..(r + n) * inputs];
            // SAFETY: rows `r..r + n` of `out` exist (the caller's contract).
            unsafe {
                let out = out.add(r * stride);
                match n {
                    6 => tile::<6>(x, inputs, panel, out, stride, tail),
                    5 => tile::<5>(x, inputs, panel, out, stride, tail),
                    4 => tile::<4>(x, inputs, panel, out, stride, tail),
                    3 => tile::<3>(x, inputs, panel, out, stride, tail),
                    2 => tile::<2>(x, inputs, panel, out, stride, tail),
                    _ => tile::<1>(x, inputs, panel, out, stride, tail),
                }
            }
            r += n;
        }
    }

    /// `R` rows against one panel, the 2·R running sums in registers.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const R: usize>(
        x: &[f32],
        inputs: usize,
        panel: &[i8],
        out: *mut f32,
        stride: usize,
        tail: &Tail<'_>,
    ) {
        debug_assert_eq!(x.len(), R * inputs);
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        let w = panel.as_ptr();
        let x = x.as_ptr();
        for k in 0..inputs {
            // SAFETY: `k < inputs`; the panel holds `inputs × PANEL` and `x`
            // holds `R × inputs` elements (asserted by the caller).
            unsafe {
                // Widened in registers: the conversions issue beside the
                // multiply-adds, which bound the loop.
                let bytes = w.add(k * PANEL);
                let w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(bytes.cast())));
                let w1 =
                    _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(bytes.add(8).cast())));
                for (i, a) in acc.iter_mut().enumerate() {
                    let b = _mm256_broadcast_ss(&*x.add(i * inputs + k));
                    a[0] = _mm256_fmadd_ps(b, w0, a[0]);
                    a[1] = _mm256_fmadd_ps(b, w1, a[1]);
                }
            }
        }
        // SAFETY: the tail holds `PANEL` lanes; row `i < R` of `out` exists.
        unsafe {
            let bias = [
                _mm256_loadu_ps(tail.bias.as_ptr()),
                _mm256_loadu_ps(tail.bias.as_ptr().add(8)),
            ];
            let scale = [
                _mm256_loadu_ps(tail.scale.as_ptr()),
                _mm256_loadu_ps(tail.scale.as_ptr().add(8)),
            ];
            for (i, a) in acc.iter().enumerate() {
                for half in 0..2 {
                    let v = _mm256_fmadd_ps(a[half], scale[half], bias[half]);
                    _mm256_storeu_ps(out.add(i * stride + half * 8), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn matches_f32_within_the_rounding_of_the_weights() {
        let (inputs, outputs) = (96, 48);
        let weight = pseudo(inputs * outputs, 7);
        let bias = pseudo(outputs, 9);
        let q = Int8Weights::quantize(&weight, inputs, outputs).unwrap();
        for rows in [1usize, 5, 6, 7, 13] {
            let input = pseudo(rows * inputs, rows as u32);
            let mut got = vec![0.0; rows * outputs];
            q.dense(&input, &bias, &mut got);
            for r in 0..rows {
                for o in 0..outputs {
                    let exact: f32 = bias[o]
                        + (0..inputs)
                            .map(|k| input[r * inputs + k] * weight[k * outputs + o])
                            .sum::<f32>();
                    // Each weight is off by at most half a step of its
                    // output's scale; the sum of |x| bounds the error.
                    let step = q.scales[o];
                    let bound: f32 = (0..inputs)
                        .map(|k| input[r * inputs + k].abs() * step / 2.0)
                        .sum::<f32>()
                        + 1e-4;
                    let err = (got[r * outputs + o] - exact).abs();
                    assert!(err <= bound, "rows {rows} ({r}, {o}): {err} > {bound}");
                }
            }
        }
    }

    #[test]
    fn outputs_that_do_not_fill_panels_are_not_quantized() {
        assert!(Int8Weights::quantize(&[0.0; 8 * 20], 8, 20).is_none());
        let zero = Int8Weights::quantize(&[0.0; 8 * 16], 8, 16).unwrap();
        let mut out = vec![1.0; 16];
        zero.dense(&[1.0; 8], &[0.5; 16], &mut out);
        assert_eq!(out, vec![0.5; 16]);
    }
}
