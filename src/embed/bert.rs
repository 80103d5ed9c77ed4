//! A BERT-family sentence encoder: weights and tokenizer loaded with candle
//! and tokenizers, the forward pass run by [`NativeEncoder`] on the CPU or by
//! candle's `BertModel` (CUDA with the `cuda` feature, and the reference the
//! native encoder is tested against).
//!
//! Texts are truncated at the model's `max_tokens`. The native encoder packs
//! a batch without padding; candle's pads to the longest text and pools with
//! the attention mask, so padding never changes a vector. Either way
//! [`BertEmbedder::embed_passages`] batches texts of similar length.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use super::model::{ModelFiles, Pooling};
use super::native::{Architecture, NativeEncoder};
use super::{EmbedError, Embedder, Manifest, Precision};

/// Default bound on the working memory of one forward pass.
pub const DEFAULT_BATCH_MEMORY: u64 = 384 << 20;

/// Which implementation runs the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// [`NativeEncoder`] on the CPU.
    Native,
    /// candle's `BertModel`, on CUDA when built with it, else on the CPU.
    Candle,
}

enum Encoder {
    Native(NativeEncoder),
    Candle(BertModel),
}

pub struct BertEmbedder {
    encoder: Encoder,
    pad_id: u32,
    tokenizer: Tokenizer,
    counter: Tokenizer,
    manifest: Manifest,
    fingerprint: String,
    device: Device,
    /// Upper bound on tokens (padded) in one forward pass; keeps memory flat.
    batch_tokens: usize,
    /// Bytes of working memory one token of a full-length batch needs.
    bytes_per_token: u64,
    precision: Precision,
}

fn tok_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Tokenizer(e.to_string())
}

impl BertEmbedder {
    /// Loads the model with the native encoder, or with candle when a GPU
    /// is available to it and candle runs the architecture (BERT; MPNet
    /// runs on the native encoder only, so it stays on the CPU).
    pub fn load(files: &ModelFiles, precision: Precision) -> Result<BertEmbedder, EmbedError> {
        let bert = Architecture::of(&read_config(&files.config)?) == Architecture::Bert;
        let device = if bert { pick_device() } else { Device::Cpu };
        let engine = if device.is_cpu() {
            Engine::Native
        } else {
            Engine::Candle
        };
        BertEmbedder::load_on(files, engine, device, precision)
    }

    /// Loads the model with the given engine (candle on CUDA when it can);
    /// `precision` is the native encoder's (candle's runs in f32).
    pub fn load_with(
        files: &ModelFiles,
        engine: Engine,
        precision: Precision,
    ) -> Result<BertEmbedder, EmbedError> {
        let device = match engine {
            Engine::Native => Device::Cpu,
            Engine::Candle => pick_device(),
        };
        BertEmbedder::load_on(files, engine, device, precision)
    }

    fn load_on(
        files: &ModelFiles,
        engine: Engine,
        device: Device,
        precision: Precision,
    ) -> Result<BertEmbedder, EmbedError> {
        let config = read_config(&files.config)?;
        let encoder = match engine {
            Engine::Candle if Architecture::of(&config) == Architecture::MpNet => {
                return Err(EmbedError::Config {
                    path: "config.json".into(),
                    message: "an MPNet model runs on the native CPU encoder only".into(),
                });
            }
            Engine::Native => Encoder::Native(NativeEncoder::load(
                &files.weights,
                &config,
                &precision.loads(),
            )?),
            Engine::Candle => {
                let vb = VarBuilder::from_slice_safetensors(&files.weights, DType::F32, &device)?;
                Encoder::Candle(BertModel::load(vb, &config)?)
            }
        };
        let mut counter = Tokenizer::from_bytes(&files.tokenizer).map_err(tok_err)?;
        counter.with_padding(None);
        counter.with_truncation(None).map_err(tok_err)?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: files.manifest.max_tokens,
                ..Default::default()
            }))
            .map_err(tok_err)?;
        let length = files.manifest.max_tokens as u64;
        let bytes_per_token = match encoder {
            // The packed buffers: hidden state, queries-keys-values, context,
            // projection and feed-forward activations, in f32. Attention's
            // scratch is per thread, not per token.
            Encoder::Native(_) => {
                4 * (6 * config.hidden_size as u64 + config.intermediate_size as u64)
            }
            // The largest live tensors of a layer, per token of a batch
            // padded to the model's length: attention scores and
            // probabilities (heads × length each, with a copy), the
            // feed-forward activations, and a dozen hidden-size tensors.
            Encoder::Candle(_) => {
                4 * (3 * config.num_attention_heads as u64 * length
                    + 2 * config.intermediate_size as u64
                    + 24 * config.hidden_size as u64)
            }
        };
        let mut embedder = BertEmbedder {
            encoder,
            pad_id: config.pad_token_id as u32,
            tokenizer,
            counter,
            manifest: files.manifest.clone(),
            fingerprint: files.fingerprint.clone(),
            device,
            batch_tokens: 0,
            bytes_per_token,
            precision,
        };
        embedder.set_batch_memory(DEFAULT_BATCH_MEMORY);
        Ok(embedder)
    }

    /// Bounds the working memory of one forward pass to about `bytes` by
    /// capping the padded tokens in a batch (never below one full-length
    /// text); returns the cap.
    pub fn set_batch_memory(&mut self, bytes: u64) -> usize {
        let tokens = (bytes / self.bytes_per_token.max(1)) as usize;
        self.batch_tokens = tokens.max(self.manifest.max_tokens + 2);
        self.batch_tokens
    }

    /// One forward pass over `texts` (queries or passages), returning one
    /// vector per text.
    fn embed_batch(&self, texts: &[String], queries: bool) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(tok_err)?;
        let model = match &self.encoder {
            Encoder::Native(native) => {
                let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
                return Ok(native.embed(
                    &ids,
                    self.manifest.pooling,
                    self.manifest.normalize,
                    self.precision.arithmetic(queries),
                )?);
            }
            Encoder::Candle(model) => model,
        };
        let len = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0);
        let n = encodings.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            let real = e.get_ids().len();
            ids.extend(e.get_ids().iter().copied());
            ids.extend(std::iter::repeat_n(self.pad_id, len - real));
            mask.extend(std::iter::repeat_n(1u32, real));
            mask.extend(std::iter::repeat_n(0u32, len - real));
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device)?;
        let types = ids.zeros_like()?;
        let hidden = model.forward(&ids, &types, Some(&mask))?;
        let pooled = match self.manifest.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&m)?.sum(1)?;
                let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
                summed.broadcast_div(&counts)?
            }
        };
        let pooled = if self.manifest.normalize {
            let norms = pooled
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12, f64::MAX)?;
            pooled.broadcast_div(&norms)?
        } else {
            pooled
        };
        Ok(pooled.to_dtype(DType::F32)?.to_vec2::<f32>()?)
    }
}

impl Embedder for BertEmbedder {
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn dimensions(&self) -> usize {
        self.manifest.dimensions
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefixed: Vec<String> = texts
            .iter()
            .map(|t| format!("{}{t}", self.manifest.passage_prefix))
            .collect();
        // Sort by length so each batch pads as little as possible.
        let lengths: Vec<usize> = prefixed
            .iter()
            .map(|t| self.count_tokens(t).min(self.manifest.max_tokens) + 2)
            .collect();
        let mut order: Vec<usize> = (0..prefixed.len()).collect();
        order.sort_by_key(|&i| lengths[i]);
        let mut out = vec![Vec::new(); prefixed.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && (end - start + 1) * lengths[order[end]] <= self.batch_tokens
            {
                end += 1;
            }
            let batch: Vec<String> = order[start..end]
                .iter()
                .map(|&i| prefixed[i].clone())
                .collect();
            for (k, v) in self.embed_batch(&batch, false)?.into_iter().enumerate() {
                out[order[start + k]] = v;
            }
            start = end;
        }
        Ok(out)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let text = format!("{}{text}", self.manifest.query_prefix);
        Ok(self.embed_batch(&[text], true)?.remove(0))
    }

    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefixed: Vec<String> = texts
            .iter()
            .map(|t| format!("{}{t}", self.manifest.query_prefix))
            .collect();
        self.embed_batch(&prefixed, true)
    }

    fn count_tokens(&self, text: &str) -> usize {
        self.counter
            .encode(text, false)
            .map_or(text.len() / 4, |e| e.get_ids().len())
    }
}

/// Reads `config.json`. MPNet's names no token types (it has none), which
/// BERT's config requires: one type, never read, stands in.
fn read_config(bytes: &[u8]) -> Result<Config, EmbedError> {
    let error = |e: serde_json::Error| EmbedError::Config {
        path: "config.json".into(),
        message: e.to_string(),
    };
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(error)?;
    if let Some(object) = value.as_object_mut()
        && object.get("model_type").and_then(|t| t.as_str()) == Some("mpnet")
    {
        object
            .entry("type_vocab_size")
            .or_insert(serde_json::Value::from(1));
    }
    serde_json::from_value(value).map_err(error)
}

#[cfg(feature = "cuda")]
fn pick_device() -> Device {
    Device::new_cuda(0).unwrap_or(Device::Cpu)
}

#[cfg(not(feature = "cuda"))]
fn pick_device() -> Device {
    Device::Cpu
}
