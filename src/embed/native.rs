//! The BERT encoder's forward pass, written for the CPU.
//!
//! candle's general-purpose ops spent over half of a forward pass outside
//! matrix multiplication (profile of the embed bench: erf and exp evaluated
//! one number at a time, a fresh buffer per op, the padding of every batch
//! computed and thrown away). This encoder runs the same weights in the same
//! f32 arithmetic, differently arranged:
//!
//! - Packed batches. The texts' tokens lie end to end with no padding; the
//!   dense layers see one `tokens × hidden` matrix and attention runs text by
//!   text, so no work is spent on padding and no mask is needed.
//! - Bias in the matrix multiplication. gemm accumulates into output rows
//!   pre-filled with the bias; query, key and value are one multiplication.
//! - Fused passes. Residual add and layer norm are one pass per row (the
//!   position embeddings are the "residual" of the embedding layer's norm),
//!   the activation runs in place on the multiplication's output; both are
//!   split across threads and vectorised (a polynomial `exp`, no per-number
//!   libm calls).
//! - Attention by (text, head) pairs in parallel: two small matrix
//!   multiplications and a softmax on a per-thread scratch buffer.
//!
//! candle's `BertModel` stays the reference (and the CUDA path); a test holds
//! the two to cosine ≥ 0.9999 on texts of every length.
//!
//! MPNet (all-mpnet-base-v2) is the same post-norm encoder with three
//! differences, taken from its config's `model_type`: attention adds a
//! learned bias per head for the bucketed distance between two tokens
//! ([`relative_bucket`]), positions count from past the padding id, and there
//! are no token types. candle has no MPNet, so it runs here only.

use candle_core::safetensors::SliceSafetensors;
use candle_core::{DType, Device};
use candle_transformers::models::bert::{Config, HiddenAct};
use gemm::Parallelism;
use rayon::prelude::*;

use super::bf16::Bf16Weights;
use super::int8::Int8Weights;
use super::model::Pooling;

/// Multiply-adds below which a matrix multiplication runs on one thread.
const PARALLEL_WORK: usize = 1 << 22;

/// The encoder families the native forward pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Bert,
    MpNet,
}

impl Architecture {
    /// The family a config names (`model_type`); BERT where it names none.
    pub fn of(config: &Config) -> Architecture {
        match config.model_type.as_deref() {
            Some("mpnet") => Architecture::MpNet,
            _ => Architecture::Bert,
        }
    }
}

/// MPNet's attention bias: `table[bucket * heads + head]`, and the bucket
/// of every distance `key - query` a text can have, -(positions-1) to
/// positions-1 in order (computed once at load, not per head and layer).
struct RelativeBias {
    table: Vec<f32>,
    bucket: Vec<usize>,
}

/// Distance beyond which MPNet's relative positions share the last bucket.
const RELATIVE_MAX_DISTANCE: usize = 128;

pub struct NativeEncoder {
    hidden: usize,
    heads: usize,
    intermediate: usize,
    eps: f32,
    act: HiddenAct,
    vocab: usize,
    positions: usize,
    /// Row of the position table that a text's first token reads.
    position_offset: usize,
    relative_bias: Option<RelativeBias>,
    word_embeddings: Vec<f32>,
    position_embeddings: Vec<f32>,
    /// Row 0 of the token-type table (every token is of type 0).
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

/// A dense layer: `weight` is `inputs × outputs`, row-major (the transpose of
/// PyTorch's layout: gemm runs a few-row input, a query, 2.6 times faster so).
struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
    /// The same weights in 8 bits, where the encoder was loaded for them.
    int8: Option<Int8Weights>,
    /// The same weights in bfloat16, where the encoder was loaded for them.
    bf16: Option<Bf16Weights>,
}

/// Reduced-precision weights a [`NativeEncoder`] keeps beside f32, for the
/// passes [`NativeEncoder::embed`] runs in that arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduced {
    /// 8-bit weights, one scale per output, multiplied in f32.
    Int8,
    /// bfloat16 weights and activations, multiplied with f32 sums.
    Bf16,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    qkv: Dense,
    attention_output: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

struct Weights<'a> {
    tensors: SliceSafetensors<'a>,
    prefix: String,
}

impl Weights<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> candle_core::Result<Vec<f32>> {
        let full = format!("{}{name}", self.prefix);
        let view = self
            .tensors
            .get(&full)
            .map_err(|_| candle_core::Error::Msg(format!("the weights lack {full}")))?;
        if view.shape() != shape {
            return Err(candle_core::Error::Msg(format!(
                "{full} has shape {:?}, the config implies {shape:?}",
                view.shape()
            )));
        }
        if view.dtype() == safetensors::Dtype::F32 {
            // Read in place: the common case, and a third of load time saved.
            return Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect());
        }
        self.tensors
            .load(&full, &Device::Cpu)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()
    }

    /// The shape of tensor `name`, if the weights hold it.
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        let full = format!("{}{name}", self.prefix);
        self.tensors.get(&full).ok().map(|v| v.shape().to_vec())
    }

    /// A layer norm's scale and shift, under either naming convention.
    fn norm(&self, name: &str, size: usize) -> candle_core::Result<Norm> {
        let (gamma, beta) = if self
            .tensors
            .get(&format!("{}{name}.weight", self.prefix))
            .is_ok()
        {
            ("weight", "bias")
        } else {
            ("gamma", "beta")
        };
        Ok(Norm {
            gamma: self.get(&format!("{name}.{gamma}"), &[size])?,
            beta: self.get(&format!("{name}.{beta}"), &[size])?,
        })
    }

    /// Dense layers of the same input, stored `outputs × inputs`, transposed
    /// and laid side by side into one `inputs × Σ outputs` layer.
    fn dense(
        &self,
        names: &[&str],
        inputs: usize,
        outputs: usize,
        reduced: &[Reduced],
    ) -> candle_core::Result<Dense> {
        let total = outputs * names.len();
        let mut weight = vec![0.0; inputs * total];
        let mut bias = Vec::with_capacity(total);
        for (part, name) in names.iter().enumerate() {
            let w = self.get(&format!("{name}.weight"), &[outputs, inputs])?;
            transpose_into(&w, outputs, inputs, &mut weight, total, part * outputs);
            bias.extend(self.get(&format!("{name}.bias"), &[outputs])?);
        }
        Ok(Dense {
            int8: reduced
                .contains(&Reduced::Int8)
                .then(|| Int8Weights::quantize(&weight, inputs, total))
                .flatten(),
            bf16: reduced
                .contains(&Reduced::Bf16)
                .then(|| Bf16Weights::round(&weight, inputs, total))
                .flatten(),
            weight,
            bias,
            inputs,
            outputs: total,
        })
    }
}

impl NativeEncoder {
    /// Loads a BERT or MPNet model from safetensors bytes; the names may
    /// carry a `bert.` (or `<model_type>.`) prefix. The dense layers also keep
    /// the weights of each of `reduced`, for [`NativeEncoder::embed`]'s passes
    /// in that arithmetic.
    pub fn load(
        safetensors: &[u8],
        config: &Config,
        reduced: &[Reduced],
    ) -> candle_core::Result<NativeEncoder> {
        let tensors = candle_core::safetensors::SliceSafetensors::new(safetensors)?;
        let mut prefixes = vec![String::new(), "bert.".to_owned()];
        if let Some(model_type) = &config.model_type {
            prefixes.push(format!("{model_type}."));
        }
        let prefix = prefixes
            .into_iter()
            .find(|p| {
                tensors
                    .get(&format!("{p}embeddings.word_embeddings.weight"))
                    .is_ok()
            })
            .ok_or_else(|| {
                candle_core::Error::Msg("the weights lack embeddings.word_embeddings.weight".into())
            })?;
        let weights = Weights { tensors, prefix };
        let h = config.hidden_size;
        if config.num_attention_heads == 0 || !h.is_multiple_of(config.num_attention_heads) {
            return Err(candle_core::Error::Msg(format!(
                "hidden size {h} is not a multiple of {} attention heads",
                config.num_attention_heads
            )));
        }
        let architecture = Architecture::of(config);
        let load_layer = |i: usize| -> candle_core::Result<Layer> {
            let p = format!("encoder.layer.{i}");
            let (q, k, v, o, norm) = match architecture {
                Architecture::Bert => {
                    let s = format!("{p}.attention.self");
                    (
                        format!("{s}.query"),
                        format!("{s}.key"),
                        format!("{s}.value"),
                        format!("{p}.attention.output.dense"),
                        format!("{p}.attention.output.LayerNorm"),
                    )
                }
                Architecture::MpNet => {
                    let s = format!("{p}.attention.attn");
                    (
                        format!("{s}.q"),
                        format!("{s}.k"),
                        format!("{s}.v"),
                        format!("{s}.o"),
                        format!("{p}.attention.LayerNorm"),
                    )
                }
            };
            Ok(Layer {
                qkv: weights.dense(&[&q, &k, &v], h, h, reduced)?,
                attention_output: weights.dense(&[&o], h, h, reduced)?,
                attention_norm: weights.norm(&norm, h)?,
                intermediate: weights.dense(
                    &[&format!("{p}.intermediate.dense")],
                    h,
                    config.intermediate_size,
                    reduced,
                )?,
                output: weights.dense(
                    &[&format!("{p}.output.dense")],
                    config.intermediate_size,
                    h,
                    reduced,
                )?,
                output_norm: weights.norm(&format!("{p}.output.LayerNorm"), h)?,
            })
        };
        // Layers load on scoped threads (their transposes are most of load
        // time), not on rayon: serving loads the model under the model lock,
        // and a rayon worker waiting for its tasks may meanwhile run another
        // request that takes that lock.
        let count = config.num_hidden_layers;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, count.max(1));
        let mut layers: Vec<(usize, Layer)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let load_layer = &load_layer;
                    scope.spawn(move || {
                        (t..count)
                            .step_by(threads)
                            .map(|i| Ok((i, load_layer(i)?)))
                            .collect::<candle_core::Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(count);
            for handle in handles {
                match handle.join() {
                    Ok(loaded) => all.extend(loaded?),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok::<_, candle_core::Error>(all)
        })?;
        layers.sort_by_key(|(i, _)| *i);
        let layers: Vec<Layer> = layers.into_iter().map(|(_, layer)| layer).collect();
        let heads = config.num_attention_heads;
        let (token_type, position_offset, relative_bias) = match architecture {
            Architecture::Bert => {
                let token_types = weights.get(
                    "embeddings.token_type_embeddings.weight",
                    &[config.type_vocab_size, h],
                )?;
                let row0 = token_types.get(..h).map_or(vec![0.0; h], <[f32]>::to_vec);
                (row0, 0, None)
            }
            Architecture::MpNet => {
                let name = "encoder.relative_attention_bias.weight";
                let buckets = match weights.shape(name).as_deref() {
                    Some(&[buckets, n]) if n == heads && buckets >= 4 => buckets,
                    other => {
                        return Err(candle_core::Error::Msg(format!(
                            "{name} has shape {other:?}, expected [buckets, {heads}]"
                        )));
                    }
                };
                let table = weights.get(name, &[buckets, heads])?;
                let longest = config.max_position_embeddings as i64;
                let bucket = (1 - longest..longest)
                    .map(|distance| relative_bucket(distance, buckets, RELATIVE_MAX_DISTANCE))
                    .collect();
                let bias = RelativeBias { table, bucket };
                (vec![0.0; h], config.pad_token_id + 1, Some(bias))
            }
        };
        if position_offset >= config.max_position_embeddings {
            return Err(candle_core::Error::Msg(format!(
                "padding id {} leaves none of {} positions",
                config.pad_token_id, config.max_position_embeddings
            )));
        }
        Ok(NativeEncoder {
            hidden: h,
            heads: config.num_attention_heads,
            intermediate: config.intermediate_size,
            eps: config.layer_norm_eps as f32,
            act: config.hidden_act,
            vocab: config.vocab_size,
            positions: config.max_position_embeddings - position_offset,
            position_offset,
            relative_bias,
            word_embeddings: weights
                .get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position_embeddings: weights.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type,
            embedding_norm: weights.norm("embeddings.LayerNorm", h)?,
            layers,
        })
    }

    /// Encodes texts given as token ids (special tokens included, already
    /// truncated) and pools each into one vector; `reduced`: with those
    /// weights where the encoder has them (f32 where it does not).
    pub fn embed(
        &self,
        texts: &[&[u32]],
        pooling: Pooling,
        normalize: bool,
        reduced: Option<Reduced>,
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let mut spans = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for ids in texts {
            if ids.len() > self.positions {
                return Err(candle_core::Error::Msg(format!(
                    "{} tokens exceed the model's {} positions",
                    ids.len(),
                    self.positions
                )));
            }
            if let Some(&id) = ids.iter().find(|&&id| id as usize >= self.vocab) {
                return Err(candle_core::Error::Msg(format!(
                    "token id {id} is outside the vocabulary of {}",
                    self.vocab
                )));
            }
            spans.push((tokens, ids.len()));
            tokens += ids.len();
        }
        if tokens == 0 {
            return Ok(texts.iter().map(|_| vec![0.0; h]).collect());
        }

        // Word and token-type embeddings, then per text the positions
        // (consecutive rows of their table, from `position_offset`) added in
        // the norm's pass.
        let mut x = vec![0.0f32; tokens * h];
        for (out, &id) in x.chunks_exact_mut(h).zip(texts.iter().copied().flatten()) {
            let word = &self.word_embeddings[id as usize * h..(id as usize + 1) * h];
            for ((o, w), t) in out.iter_mut().zip(word).zip(&self.token_type) {
                *o = w + t;
            }
        }
        for &(start, len) in &spans {
            add_norm(
                &mut x[start * h..(start + len) * h],
                &self.position_embeddings
                    [self.position_offset * h..(self.position_offset + len) * h],
                &self.embedding_norm,
                self.eps,
            );
        }

        let mut qkv = vec![0.0f32; tokens * 3 * h];
        let mut context = vec![0.0f32; tokens * h];
        let mut projected = vec![0.0f32; tokens * h];
        let mut inner = vec![0.0f32; tokens * self.intermediate];
        for layer in &self.layers {
            dense(&x, &layer.qkv, &mut qkv, reduced);
            self.attention(&qkv, &spans, &mut context);
            dense(&context, &layer.attention_output, &mut projected, reduced);
            add_norm(&mut x, &projected, &layer.attention_norm, self.eps);
            dense(&x, &layer.intermediate, &mut inner, reduced);
            activate(&mut inner, self.act);
            dense(&inner, &layer.output, &mut projected, reduced);
            add_norm(&mut x, &projected, &layer.output_norm, self.eps);
        }

        Ok(spans
            .iter()
            .map(|&(start, len)| {
                let rows = &x[start * h..(start + len) * h];
                let mut v = vec![0.0f32; h];
                match pooling {
                    Pooling::Cls if len > 0 => v.copy_from_slice(&rows[..h]),
                    Pooling::Cls => {}
                    Pooling::Mean => {
                        for r in rows.chunks_exact(h) {
                            for (a, b) in v.iter_mut().zip(r) {
                                *a += b;
                            }
                        }
                        let n = len.max(1) as f32;
                        v.iter_mut().for_each(|a| *a /= n);
                    }
                }
                if normalize {
                    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
                    v.iter_mut().for_each(|a| *a /= norm);
                }
                v
            })
            .collect())
    }

    /// Multi-head self-attention of each text on its own rows of `qkv`
    /// (`tokens × 3·hidden`: queries, keys, values), into `context`.
    fn attention(&self, qkv: &[f32], spans: &[(usize, usize)], context: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let out = SharedMut(context.as_mut_ptr());
        let tasks: Vec<(usize, usize, usize)> = spans
            .iter()
            .flat_map(|&(start, len)| (0..self.heads).map(move |head| (start, len, head)))
            .collect();
        tasks.par_iter().for_each_init(
            || (Vec::new(), Vec::new()),
            |(scores, by_distance): &mut (Vec<f32>, Vec<f32>), &(start, len, head)| {
                scores.clear();
                scores.resize(len * len, 0.0);
                let base = qkv[start * 3 * h..].as_ptr();
                // SAFETY: every task reads rows `start..start + len` of `qkv`
                // (in bounds: spans lie within the packed tokens) and writes
                // the columns of its own head in those rows of `context`,
                // which no other task writes.
                unsafe {
                    gemm::gemm(
                        len,
                        len,
                        d,
                        scores.as_mut_ptr(),
                        1,
                        len as isize,
                        false,
                        base.add(head * d),
                        1,
                        3 * h as isize,
                        base.add(h + head * d),
                        3 * h as isize,
                        1,
                        0.0,
                        scale,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
                if let Some(bias) = &self.relative_bias {
                    // This head's bias per distance `key - query`, -(len-1)..len;
                    // distance 0 sits in the middle of `bucket`.
                    let zero = (bias.bucket.len() - 1) / 2;
                    by_distance.clear();
                    by_distance.extend(
                        bias.bucket[zero + 1 - len..zero + len]
                            .iter()
                            .map(|&bucket| bias.table[bucket * self.heads + head]),
                    );
                    for (query, row) in scores.chunks_exact_mut(len).enumerate() {
                        // Distance `key - query` sits at `key - query + len - 1`.
                        let from = len - 1 - query;
                        for (s, b) in row.iter_mut().zip(&by_distance[from..from + len]) {
                            *s += b;
                        }
                    }
                }
                for row in scores.chunks_exact_mut(len) {
                    softmax(row);
                }
                let out = &out;
                // SAFETY: as above.
                unsafe {
                    gemm::gemm(
                        len,
                        d,
                        len,
                        out.0.add(start * h + head * d),
                        1,
                        h as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        len as isize,
                        base.add(2 * h + head * d),
                        1,
                        3 * h as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
            },
        );
    }
}

/// MPNet's bucket for the distance `key - query` between two tokens: half
/// the buckets for keys after the query, half for the rest; within a half,
/// distances below a quarter of the buckets have one each, longer ones share
/// buckets on a log scale up to `max_distance`, and beyond it the last. In
/// f32, as the reference computes it (its integer cut lands on the same side
/// at the exact boundaries, 32 and 64).
fn relative_bucket(distance: i64, buckets: usize, max_distance: usize) -> usize {
    let half = buckets / 2;
    let side = if distance > 0 { half } else { 0 };
    let n = distance.unsigned_abs() as usize;
    let exact = half / 2;
    if n < exact {
        return side + n;
    }
    let scale = (max_distance as f64 / exact as f64).ln() as f32;
    let log = (n as f32 / exact as f32).ln() / scale * (half - exact) as f32;
    side + (exact + log as usize).min(half - 1)
}

/// Writes the transpose of `src` (`rows × cols`) into columns `at..at + rows`
/// of `dst` (rows of `width`), in tiles that stay in cache.
fn transpose_into(src: &[f32], rows: usize, cols: usize, dst: &mut [f32], width: usize, at: usize) {
    const TILE: usize = 32;
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                let row = &src[r * cols..(r + 1) * cols];
                for c in c0..(c0 + TILE).min(cols) {
                    dst[c * width + at + r] = row[c];
                }
            }
        }
    }
}

/// A pointer that parallel tasks share to write disjoint parts of one
/// buffer (attention's heads, the panels of an 8-bit or bf16 layer).
pub(super) struct SharedMut(pub(super) *mut f32);
// SAFETY: the tasks holding it write disjoint elements (see `attention`,
// `Int8Weights::dense` and `Bf16Weights::dense`).
unsafe impl Sync for SharedMut {}

/// `output = input · weight + bias`, row by row; with the 8-bit weights
/// or with the `reduced` weights where the layer has them.
fn dense(input: &[f32], layer: &Dense, output: &mut [f32], reduced: Option<Reduced>) {
    match (reduced, &layer.int8, &layer.bf16) {
        (Some(Reduced::Int8), Some(weights), _) => {
            return weights.dense(input, &layer.bias, output);
        }
        (Some(Reduced::Bf16), _, Some(weights)) => {
            return weights.dense(input, &layer.bias, output);
        }
        _ => {}
    }
    let rows = input.len() / layer.inputs;
    debug_assert_eq!(output.len(), rows * layer.outputs);
    for row in output.chunks_exact_mut(layer.outputs) {
        row.copy_from_slice(&layer.bias);
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 && rows * layer.inputs * layer.outputs >= PARALLEL_WORK {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: the three buffers hold `rows × outputs`, `rows × inputs` and
    // `inputs × outputs` elements, row-major, as the strides say.
    unsafe {
        gemm::gemm(
            rows,
            layer.outputs,
            layer.inputs,
            output.as_mut_ptr(),
            1,
            layer.outputs as isize,
            true,
            input.as_ptr(),
            1,
            layer.inputs as isize,
            layer.weight.as_ptr(),
            1,
            layer.outputs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Rows handed to one thread by the element-wise passes.
fn rows_per_task(rows: usize) -> usize {
    rows.div_ceil(4 * rayon::current_num_threads()).max(16)
}

/// `x = layer_norm(x + y)`, row by row.
fn add_norm(x: &mut [f32], y: &[f32], norm: &Norm, eps: f32) {
    let h = norm.gamma.len();
    let step = rows_per_task(x.len() / h) * h;
    x.par_chunks_mut(step)
        .zip(y.par_chunks(step))
        .for_each(|(x, y)| {
            for (x, y) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
                add_norm_row(x, y, &norm.gamma, &norm.beta, eps);
            }
        });
}

fn activate(x: &mut [f32], act: HiddenAct) {
    let step = 16 * 1024;
    x.par_chunks_mut(step).for_each(|x| match act {
        HiddenAct::Gelu => gelu_erf(x),
        HiddenAct::GeluApproximate => gelu_tanh(x),
        HiddenAct::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
    });
}

/// Defines `fn $name` that runs its body compiled for AVX-512 or AVX2 + FMA
/// when the CPU has them, and as plain code otherwise.
macro_rules! vectorised {
    ($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$meta])*
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn plain($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn avx512($($arg: $ty),*) {
                    plain($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    plain($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                {
                    // SAFETY: the CPU has the features the function is compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            plain($($arg),*)
        }
    };
}

/// Lanes of the running sums: wide enough for AVX-512, and a fixed order of
/// addition (the result does not depend on the instruction set).
const LANES: usize = 16;

#[inline(always)]
fn lane_sum(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] += f(c[i]);
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i] += f(v);
    }
    acc.iter().sum()
}

vectorised! {
    fn add_norm_row(x: &mut [f32], y: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
        for (a, b) in x.iter_mut().zip(y) {
            *a += b;
        }
        let n = x.len() as f32;
        let mean = lane_sum(x, |v| v) / n;
        let var = lane_sum(x, |v| (v - mean) * (v - mean)) / n;
        let inv = 1.0 / (var + eps).sqrt();
        for ((a, g), b) in x.iter_mut().zip(gamma).zip(beta) {
            *a = (*a - mean) * inv * g + b;
        }
    }
}

vectorised! {
    fn softmax(row: &mut [f32]) {
        let mut acc = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact(LANES);
        for c in &mut chunks {
            for i in 0..LANES {
                acc[i] = acc[i].max(c[i]);
            }
        }
        for (i, &v) in chunks.remainder().iter().enumerate() {
            acc[i] = acc[i].max(v);
        }
        let max = acc.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in row.iter_mut() {
            *v = exp(*v - max);
        }
        let inv = 1.0 / lane_sum(row, |v| v);
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

vectorised! {
    /// GELU with the exact (erf) form, as BERT's `gelu`.
    fn gelu_erf(xs: &mut [f32]) {
        for v in xs.iter_mut() {
            *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}

vectorised! {
    /// GELU with the tanh approximation.
    fn gelu_tanh(xs: &mut [f32]) {
        const C: f32 = 0.797_884_6; // sqrt(2 / pi)
        for v in xs.iter_mut() {
            let u = C * (*v + 0.044_715 * *v * *v * *v);
            // tanh(u) = 1 - 2 / (exp(2u) + 1)
            let t = 1.0 - 2.0 / (exp(2.0 * u) + 1.0);
            *v = 0.5 * *v * (1.0 + t);
        }
    }
}

/// `e^x` to about 2 ulp for |x| < 87, branch-free so loops of it vectorise.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and taking away 1.5 · 2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // 2^n from the integer in the low bits of `shifted`, in integer lanes
    // (a float-to-int cast would not vectorise: Rust's `as` saturates).
    let biased = shifted
        .to_bits()
        .wrapping_sub(ROUND.to_bits())
        .wrapping_add(127);
    p * f32::from_bits(biased << 23)
}

/// `erf(x)` within 1.5e-7 (Abramowitz and Stegun 7.1.26), branch-free.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_buckets_match_the_reference() {
        // Where the reference's bucket changes, for distances -300..=300
        // (transformers' MPNetEncoder.relative_position_bucket, 32 buckets,
        // max distance 128): from each distance on, up to the next.
        let changes: [(i64, usize); 31] = [
            (-300, 15),
            (-90, 14),
            (-63, 13),
            (-45, 12),
            (-31, 11),
            (-22, 10),
            (-15, 9),
            (-11, 8),
            (-7, 7),
            (-6, 6),
            (-5, 5),
            (-4, 4),
            (-3, 3),
            (-2, 2),
            (-1, 1),
            (0, 0),
            (1, 17),
            (2, 18),
            (3, 19),
            (4, 20),
            (5, 21),
            (6, 22),
            (7, 23),
            (8, 24),
            (12, 25),
            (16, 26),
            (23, 27),
            (32, 28),
            (46, 29),
            (64, 30),
            (91, 31),
        ];
        for (i, &(from, bucket)) in changes.iter().enumerate() {
            let to = changes.get(i + 1).map_or(300, |c| c.0 - 1);
            for distance in from..=to {
                assert_eq!(relative_bucket(distance, 32, 128), bucket, "{distance}");
            }
        }
    }

    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f32;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((exp(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 1e-6, "relative error {worst}");
        assert_eq!(exp(-1000.0), (-87.0f32).exp());
        assert!(exp(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn erf_matches_reference_values() {
        // erf at a few points, from a float64 implementation.
        for (x, want) in [
            (0.0f32, 0.0f32),
            (0.1, 0.112_462_92),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-1.0, -0.842_700_8),
            (2.0, 0.995_322_3),
            (-3.5, -0.999_999_3),
            (10.0, 1.0),
        ] {
            assert!(
                (erf(x) - want).abs() < 3e-7,
                "erf({x}) = {} not {want}",
                erf(x)
            );
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        for len in [1usize, 5, 16, 17, 40, 258] {
            let mut row: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 9.0).collect();
            let original = row.clone();
            softmax(&mut row);
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "len {len}: sum {sum}");
            let max = original.iter().copied().fold(f32::MIN, f32::max);
            let denom: f64 = original.iter().map(|&v| ((v - max) as f64).exp()).sum();
            for (p, v) in row.iter().zip(&original) {
                let want = ((*v - max) as f64).exp() / denom;
                assert!((*p as f64 - want).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn transpose_places_every_element() {
        let (rows, cols) = (45, 70);
        let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let width = 2 * rows + 3;
        let mut dst = vec![-1.0; cols * width];
        transpose_into(&src, rows, cols, &mut dst, width, rows);
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(dst[c * width + rows + r], src[r * cols + c]);
            }
        }
        assert_eq!(
            dst.iter().filter(|&&v| v == -1.0).count(),
            cols * (rows + 3)
        );
    }

    #[test]
    fn add_norm_row_normalises() {
        let mut x: Vec<f32> = (0..384).map(|i| (i as f32).cos() * 3.0 + 1.0).collect();
        let y: Vec<f32> = (0..384).map(|i| (i as f32 * 0.1).sin()).collect();
        let gamma = vec![2.0; 384];
        let beta = vec![0.5; 384];
        let sum: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
        add_norm_row(&mut x, &y, &gamma, &beta, 1e-12);
        let mean = sum.iter().sum::<f32>() / 384.0;
        let var = sum.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 384.0;
        for (out, s) in x.iter().zip(&sum) {
            let want = (s - mean) / var.sqrt() * 2.0 + 0.5;
            assert!((out - want).abs() < 1e-4, "{out} vs {want}");
        }
    }
}
