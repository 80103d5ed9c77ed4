//! Dense layers in bfloat16, on CPUs with AVX-512 BF16.
//!
//! bfloat16 keeps f32's exponent and 8 bits of its mantissa: a weight or
//! an activation is off by at most 2^-9 of itself (round to nearest even),
//! where an 8-bit weight is off by up to half a step of its output's
//! largest weight. `vdpbf16ps` multiplies 32 pairs of bf16 and adds them
//! into 16 f32 sums in one instruction, twice the multiply-adds of an f32
//! FMA of the same width, and the sums stay f32. Passages are bound by
//! arithmetic, so on such a CPU this is what makes them faster.
//!
//! Weights are laid out in panels of [`PANEL`] outputs: for each pair of
//! inputs `(2k, 2k + 1)`, the panel holds the 16 outputs' two weights side
//! by side (64 bytes, one register). Each input row is rounded to bf16
//! once, as pairs, and a pair is broadcast against the panel's register.
//! Rows are taken in blocks that stay in cache while every panel passes
//! over them. Elsewhere (and in tests) a scalar loop computes the same
//! products of the same rounded numbers.

use rayon::prelude::*;

use super::native::SharedMut;

/// Outputs per panel: one 16-lane f32 register of sums.
pub const PANEL: usize = 16;
/// Rows of the input multiplied together against one panel.
const ROWS: usize = 6;
/// Panels multiplied together against the same rows.
const GROUP: usize = 4;
/// Rows whose rounded pairs stay in cache while every panel passes.
const ROW_BLOCK: usize = 96;
/// Multiply-adds below which one layer runs on one thread.
const PARALLEL_WORK: usize = 1 << 20;

/// A dense layer's weights rounded to bfloat16, in panels.
pub struct Bf16Weights {
    /// Panel `p`, input pair `k`, lane `j`, half `h` (input `2k + h`) is
    /// output `p·PANEL + j`'s weight, at `((p · pairs + k) · PANEL + j) · 2 + h`.
    weights: Vec<u16>,
    inputs: usize,
    outputs: usize,
}

/// `x` rounded to bfloat16 (nearest, ties to even; NaN stays NaN).
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) as u16) | 0x40;
    }
    let round = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

/// The f32 that bfloat16 `b` stands for.
pub fn from_bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// Whether this CPU runs the vectorised kernel (AVX-512F and AVX-512 BF16).
pub fn has_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Bf16Weights {
    /// Rounds `weight` (`inputs × outputs`, row-major); `None` when the
    /// outputs do not fill whole panels or the inputs do not pair up.
    pub fn round(weight: &[f32], inputs: usize, outputs: usize) -> Option<Bf16Weights> {
        if outputs == 0
            || !outputs.is_multiple_of(PANEL)
            || !inputs.is_multiple_of(2)
            || weight.len() != inputs * outputs
        {
            return None;
        }
        let pairs = inputs / 2;
        let mut weights = vec![0u16; inputs * outputs];
        for (k, row) in weight.chunks_exact(outputs).enumerate() {
            let (pair, half) = (k / 2, k % 2);
            for (p, lanes) in row.chunks_exact(PANEL).enumerate() {
                let base = (p * pairs + pair) * PANEL * 2;
                for (j, &w) in lanes.iter().enumerate() {
                    weights[base + j * 2 + half] = to_bf16(w);
                }
            }
        }
        Some(Bf16Weights {
            weights,
            inputs,
            outputs,
        })
    }

    /// `output = input · weight + bias` for `input` of `rows × inputs`, the
    /// input rounded to bfloat16 and the sums kept in f32.
    pub fn dense(&self, input: &[f32], bias: &[f32], output: &mut [f32]) {
        let rows = input.len() / self.inputs;
        debug_assert_eq!(output.len(), rows * self.outputs);
        let pairs = self.inputs / 2;
        // Each row as pairs of bf16, low half the even input.
        let rounded: Vec<u32> = input
            .chunks_exact(2)
            .map(|p| u32::from(to_bf16(p[0])) | (u32::from(to_bf16(p[1])) << 16))
            .collect();
        let kernel = has_kernel();
        let panels = self.outputs / PANEL;
        // Panels `first..last` over rows `x`, into the buffer at `out`.
        // SAFETY (callers): `out` points at row 0 of `x.len() / pairs` rows
        // of `outputs`, and no other task writes those panels' columns there.
        let panels_over = |first: usize, last: usize, x: &[u32], out: *mut f32| unsafe {
            product(
                x,
                pairs,
                &self.weights[first * pairs * PANEL * 2..],
                &bias[first * PANEL..last * PANEL],
                out.add(first * PANEL),
                self.outputs,
                kernel,
            )
        };
        let block = |first: usize, out: &mut [f32]| {
            let n = out.len() / self.outputs;
            panels_over(
                0,
                panels,
                &rounded[first * pairs..(first + n) * pairs],
                out.as_mut_ptr(),
            );
        };
        let threads = rayon::current_num_threads();
        let parallel = threads > 1 && rows * self.inputs * self.outputs >= PARALLEL_WORK;
        if parallel && rows > ROW_BLOCK {
            output
                .par_chunks_mut(ROW_BLOCK * self.outputs)
                .enumerate()
                .for_each(|(b, out)| block(b * ROW_BLOCK, out));
        } else if parallel {
            // Few rows (a query): runs of panels split between threads.
            let out = SharedMut(output.as_mut_ptr());
            let per_task = panels.div_ceil(threads).next_multiple_of(GROUP);
            (0..panels.div_ceil(per_task))
                .into_par_iter()
                .for_each(|task| {
                    let first = task * per_task;
                    let last = (first + per_task).min(panels);
                    let out = &out;
                    // Each task writes the columns of its own run of panels,
                    // in rows `0..rows` of `output`, which no other task writes.
                    panels_over(first, last, &rounded, out.0);
                });
        } else {
            for (b, out) in output.chunks_mut(ROW_BLOCK * self.outputs).enumerate() {
                block(b * ROW_BLOCK, out);
            }
        }
    }
}

/// `out[r · stride + j] = bias[j] + Σ_k x[r][k] · w[k][j]` for every row `r`
/// of `x` (rows of `pairs` rounded pairs) and the columns `j` of a run of
/// consecutive panels (`bias.len() / PANEL` of them, from `panels`).
///
/// # Safety
///
/// `out` points at the first panel's first column in row 0 of a row-major
/// buffer with rows of `stride` elements, at least `x.len() / pairs` rows
/// long, and the run's columns lie in each row.
unsafe fn product(
    x: &[u32],
    pairs: usize,
    panels: &[u16],
    bias: &[f32],
    out: *mut f32,
    stride: usize,
    kernel: bool,
) {
    let count = bias.len() / PANEL;
    assert!(bias.len() == count * PANEL && panels.len() >= count * pairs * PANEL * 2);
    #[cfg(target_arch = "x86_64")]
    if kernel {
        // SAFETY: the CPU has AVX-512F and AVX-512 BF16 (`has_kernel`); the
        // caller vouches for `out`.
        return unsafe { avx512::product(x, pairs, panels, bias, out, stride) };
    }
    let _ = kernel;
    for p in 0..count {
        let panel = &panels[p * pairs * PANEL * 2..][..pairs * PANEL * 2];
        for (r, row) in x.chunks_exact(pairs).enumerate() {
            let mut acc = [0.0f32; PANEL];
            for (&pair, lanes) in row.iter().zip(panel.chunks_exact(PANEL * 2)) {
                let (lo, hi) = (from_bf16(pair as u16), from_bf16((pair >> 16) as u16));
                for (a, w) in acc.iter_mut().zip(lanes.chunks_exact(2)) {
                    *a += lo * from_bf16(w[0]) + hi * from_bf16(w[1]);
                }
            }
            for (j, (a, b)) in acc.iter().zip(&bias[p * PANEL..]).enumerate() {
                // SAFETY: row `r` and column `p · PANEL + j` lie in the buffer.
                unsafe { *out.add(r * stride + p * PANEL + j) = b + a };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{GROUP, PANEL, ROWS};

    /// See [`super::product`].
    ///
    /// # Safety
    ///
    /// The CPU has AVX-512F and AVX-512 BF16, and the lengths are as
    /// `product` asserts.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn product(
        x: &[u32],
        pairs: usize,
        panels: &[u16],
        bias: &[f32],
        out: *mut f32,
        stride: usize,
    ) {
        let rows = x.len() / pairs;
        let count = bias.len() / PANEL;
        let mut p = 0;
        while p < count {
            let g = if count - p >= GROUP { GROUP } else { 1 };
            let weights = &panels[p * pairs * PANEL * 2..];
            let bias = &bias[p * PANEL..];
            let mut r = 0;
            while r < rows {
                let n = (rows - r).min(ROWS);
                let x = &x[r * pairs..(r + n) * pairs];
                // SAFETY: as the caller vouches; `tile` reads `n` rows of
                // `x` and writes `g` panels' columns of `n` rows of `out`.
                unsafe {
                    let out = out.add(r * stride + p * PANEL);
                    match (g, n) {
                        (GROUP, 6) => tile::<6, GROUP>(x, pairs, weights, bias, out, stride),
                        (GROUP, 5) => tile::<5, GROUP>(x, pairs, weights, bias, out, stride),
                        (GROUP, 4) => tile::<4, GROUP>(x, pairs, weights, bias, out, stride),
                        (GROUP, 3) => tile::<3, GROUP>(x, pairs, weights, bias, out, stride),
                        (GROUP, 2) => tile::<2, GROUP>(x, pairs, weights, bias, out, stride),
                        (GROUP, _) => tile::<1, GROUP>(x, pairs, weights, bias, out, stride),
                        (_, 6) => tile::<6, 1>(x, pairs, weights, bias, out, stride),
                        (_, 5) => tile::<5, 1>(x, pairs, weights, bias, out, stride),
                        (_, 4) => tile::<4, 1>(x, pairs, weights, bias, out, stride),
                        (_, 3) => tile::<3, 1>(x, pairs, weights, bias, out, stride),
                        (_, 2) => tile::<2, 1>(x, pairs, weights, bias, out, stride),
                        (_, _) => tile::<1, 1>(x, pairs, weights, bias, out, stride),
                    }
                }
                r += n;
            }
            p += g;
        }
    }

    /// 32 bfloat16 held as integers, as the dot product takes them.
    #[inline(always)]
    fn bh(v: __m512i) -> __m512bh {
        // SAFETY: both are 64 bytes of plain bits.
        unsafe { std::mem::transmute::<__m512i, __m512bh>(v) }
    }

    /// `R` rows against `G` consecutive panels: R·G sums of 16 outputs in
    /// registers, each broadcast pair used G times.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[inline]
    unsafe fn tile<const R: usize, const G: usize>(
        x: &[u32],
        pairs: usize,
        panels: &[u16],
        bias: &[f32],
        out: *mut f32,
        stride: usize,
    ) {
        debug_assert!(x.len() == R * pairs && panels.len() >= G * pairs * PANEL * 2);
        let mut acc = [[_mm512_setzero_ps(); G]; R];
        let w = panels.as_ptr();
        let xp = x.as_ptr();
        for k in 0..pairs {
            // SAFETY: `k < pairs`; panel `j < G` holds `pairs × PANEL × 2`
            // elements from `j · pairs · PANEL · 2`, and `x` holds `R × pairs`
            // (asserted by the callers). Indexed loops over constant bounds,
            // so that the sums stay in registers.
            unsafe {
                let mut weights = [bh(_mm512_setzero_si512()); G];
                #[allow(clippy::needless_range_loop)]
                for j in 0..G {
                    weights[j] = bh(_mm512_loadu_si512(
                        w.add((j * pairs + k) * PANEL * 2).cast(),
                    ));
                }
                #[allow(clippy::needless_range_loop)]
                for i in 0..R {
                    let pair = bh(_mm512_set1_epi32(*xp.add(i * pairs + k) as i32));
                    for j in 0..G {
                        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], pair, weights[j]);
                    }
                }
            }
        }
        // SAFETY: row `i < R` of `out` holds the `G` panels' columns.
        unsafe {
            for (j, _) in acc[0].iter().enumerate() {
                let b = _mm512_loadu_ps(bias.as_ptr().add(j * PANEL));
                for (i, row) in acc.iter().enumerate() {
                    _mm512_storeu_ps(out.add(i * stride + j * PANEL), _mm512_add_ps(row[j], b));
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
    fn rounding_is_to_nearest_even() {
        assert_eq!(from_bf16(to_bf16(1.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(-2.5)), -2.5);
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to even (1).
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
        for x in pseudo(1000, 3) {
            let err = (from_bf16(to_bf16(x)) - x).abs();
            assert!(err <= x.abs() / 256.0, "{x}: {err}");
        }
    }

    /// The kernel (vectorised where the CPU has it) against f32 sums of the
    /// same rounded numbers, over row counts that cover every tile size,
    /// a row block, the threaded split, and a group of panels beside
    /// single ones (6 panels: one group of 4, then 2).
    #[test]
    fn matches_the_sums_of_the_rounded_numbers() {
        let (inputs, outputs) = (96, 96);
        let weight = pseudo(inputs * outputs, 7);
        let bias = pseudo(outputs, 9);
        let q = Bf16Weights::round(&weight, inputs, outputs).unwrap();
        for rows in [1usize, 5, 8, 9, 13, 97, 250] {
            let input = pseudo(rows * inputs, rows as u32);
            let mut got = vec![0.0; rows * outputs];
            q.dense(&input, &bias, &mut got);
            for r in 0..rows {
                for o in 0..outputs {
                    let exact: f32 = bias[o]
                        + (0..inputs)
                            .map(|k| {
                                from_bf16(to_bf16(input[r * inputs + k]))
                                    * from_bf16(to_bf16(weight[k * outputs + o]))
                            })
                            .sum::<f32>();
                    let err = (got[r * outputs + o] - exact).abs();
                    assert!(err <= 1e-4, "rows {rows} ({r}, {o}): {err}");
                }
            }
        }
    }

    #[test]
    fn layers_that_do_not_fit_panels_are_not_rounded() {
        assert!(Bf16Weights::round(&[0.0; 8 * 20], 8, 20).is_none());
        assert!(Bf16Weights::round(&[0.0; 7 * 16], 7, 16).is_none());
    }
}
