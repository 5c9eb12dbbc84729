//! The model registry: one file per model, `<dir>/<name>.model`, in the directory set by
//! `SET hepfusion.model_dir = '...'` (default `HEPFUSION_MODEL_DIR`, else `./models`).
//!
//! A file is the description as JSON and the burnpack weights, framed and checksummed:
//! `HEPFUSION-MODEL\0`, format version (u32), JSON length (u64), JSON, weights length (u64),
//! weights, xxHash64 of everything before (u64), little-endian. One file, written to a
//! temporary name, synced and renamed over the old one, so a crash or a cancelled training
//! leaves the previous model intact; a truncated or altered file fails the checksum.

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use datafusion::common::{exec_err, plan_err, Result};
use hepfusion_udfs::options::HepfusionOptions;
use twox_hash::XxHash64;

use super::model::{Model, ModelInfo};

const MAGIC: &[u8; 16] = b"HEPFUSION-MODEL\0";
const FORMAT: u32 = 1;

/// The registry directory of a session with these options.
pub fn model_dir(config: &datafusion::config::ConfigOptions) -> PathBuf {
    match (HepfusionOptions::of(config).model_dir, std::env::var_os("HEPFUSION_MODEL_DIR")) {
        (Some(d), _) => PathBuf::from(d),
        (None, Some(d)) => PathBuf::from(d),
        (None, None) => PathBuf::from("models"),
    }
}

/// Model names become file names: letters, digits, `_`, `-` and `.`, not starting with `.`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        plan_err!("model name '{name}' is not allowed: use letters, digits, '_', '-' and '.'")
    }
}

fn path_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.model"))
}

pub fn save(dir: &Path, model: &Model) -> Result<PathBuf> {
    check_name(&model.info.name)?;
    let json = serde_json::to_vec_pretty(&model.info).map_err(|e| datafusion::error::DataFusionError::Execution(format!("model '{}': {e}", model.info.name)))?;
    let weights = model.weights()?;
    let mut bytes = Vec::with_capacity(64 + json.len() + weights.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&(weights.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&weights);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());

    let target = path_of(dir, &model.info.name);
    let io = |e: std::io::Error, what: &str| datafusion::error::DataFusionError::Execution(format!("saving model '{}' to {}: {what}: {e}", model.info.name, target.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(e, "creating the directory"))?;
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = dir.join(format!(".{}.{}-{nanos}.tmp", model.info.name, std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e, "writing"));
    }
    loaded().lock().map(|mut m| m.remove(&target)).ok();
    Ok(target)
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = XxHash64::with_seed(0);
    h.write(bytes);
    h.finish()
}

/// Reads a model file, checking its frame, version and checksum.
fn read(path: &Path, name: &str) -> Result<(ModelInfo, Vec<u8>)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return plan_err!("no model '{name}' in {} (train one with train_classifier, list them with models())", path.parent().unwrap_or(Path::new(".")).display())
        }
        Err(e) => return exec_err!("model '{name}': reading {}: {e}", path.display()),
    };
    let bad = |why: &str| datafusion::error::DataFusionError::Execution(format!("model file {} is not a usable hepfusion model: {why}", path.display()));
    if bytes.len() < 16 + 4 + 8 + 8 + 8 || &bytes[..16] != MAGIC {
        return Err(bad(if bytes.starts_with(&MAGIC[..bytes.len().min(16)]) { "it is truncated" } else { "it does not start with the hepfusion model header" }));
    }
    let version = u32::from_le_bytes(bytes[16..20].try_into().unwrap_or_default());
    if version != FORMAT {
        return Err(bad(&format!("it has format version {version}; this hepfusion reads version {FORMAT}")));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    if checksum(body) != u64::from_le_bytes(tail.try_into().unwrap_or_default()) {
        return Err(bad("its checksum does not match (truncated or altered)"));
    }
    let u64_at = |at: usize| -> Result<usize> {
        match body.get(at..at + 8) {
            Some(b) => Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize),
            None => Err(bad("it is truncated")),
        }
    };
    let json_len = u64_at(20)?;
    let json = body.get(28..28 + json_len).ok_or_else(|| bad("it is truncated"))?;
    let weights_len = u64_at(28 + json_len)?;
    let weights = body.get(36 + json_len..36 + json_len + weights_len).ok_or_else(|| bad("it is truncated"))?;
    let info: ModelInfo = serde_json::from_slice(json).map_err(|e| bad(&format!("its description does not parse: {e}")))?;
    if info.burn_version != super::BURN_VERSION {
        return Err(bad(&format!("it was written with burn {}; this hepfusion uses burn {}", info.burn_version, super::BURN_VERSION)));
    }
    Ok((info, weights.to_vec()))
}

type Cache = Mutex<HashMap<PathBuf, (SystemTime, Arc<Model>)>>;

/// Models loaded in this process, keyed by path and reloaded when the file changes, so that
/// `predict_proba` in a SELECT does not read the file once per batch.
fn loaded() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

pub fn load(dir: &Path, name: &str) -> Result<Arc<Model>> {
    check_name(name)?;
    let path = path_of(dir, name);
    let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if let (Some(t), Ok(cache)) = (mtime, loaded().lock()) {
        if let Some((seen, m)) = cache.get(&path) {
            if *seen == t {
                return Ok(m.clone());
            }
        }
    }
    let (info, weights) = read(&path, name)?;
    let model = Arc::new(Model::from_weights(info, weights)?);
    if let (Some(t), Ok(mut cache)) = (mtime, loaded().lock()) {
        cache.insert(path, (t, model.clone()));
    }
    Ok(model)
}

/// The descriptions of every model in `dir`, by name; a file that cannot be read is listed
/// with its error.
pub fn list(dir: &Path) -> Vec<(String, PathBuf, Result<ModelInfo>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".model")?.to_string();
            (!name.starts_with('.')).then_some((name, path))
        })
        .map(|(name, path)| {
            let info = read(&path, &name).map(|(i, _)| i);
            (name, path, info)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

pub fn drop_model(dir: &Path, name: &str, if_exists: bool) -> Result<bool> {
    check_name(name)?;
    let path = path_of(dir, name);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            loaded().lock().map(|mut m| m.remove(&path)).ok();
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && if_exists => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => plan_err!("no model '{name}' in {}", dir.display()),
        Err(e) => exec_err!("dropping model '{name}' ({}): {e}", path.display()),
    }
}
