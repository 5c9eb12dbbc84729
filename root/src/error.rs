//! Errors of the ROOT reader. Every error carries enough context (file, object, branch, basket)
//! for a physicist to find the bad spot without a debugger.

use std::fmt;

/// Where in a file an error happened; filled in as the error travels outwards.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub file: Option<String>,
    pub tree: Option<String>,
    pub branch: Option<String>,
    pub basket: Option<usize>,
}

#[derive(Debug)]
pub enum RootError {
    /// The bytes do not follow the format (truncated, corrupt, or a layout we do not know).
    Format { msg: String, ctx: Context },
    /// The file is valid but holds something this reader does not decode.
    Unsupported { msg: String, ctx: Context },
    /// A requested object (tree, branch) does not exist.
    NotFound { msg: String, ctx: Context },
    /// Fetching bytes failed (I/O, network).
    Io { msg: String, ctx: Context },
}

pub type Result<T, E = RootError> = std::result::Result<T, E>;

impl RootError {
    pub fn format(msg: impl Into<String>) -> Self {
        RootError::Format { msg: msg.into(), ctx: Context::default() }
    }
    pub fn unsupported(msg: impl Into<String>) -> Self {
        RootError::Unsupported { msg: msg.into(), ctx: Context::default() }
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        RootError::NotFound { msg: msg.into(), ctx: Context::default() }
    }
    pub fn io(msg: impl Into<String>) -> Self {
        RootError::Io { msg: msg.into(), ctx: Context::default() }
    }

    fn ctx_mut(&mut self) -> &mut Context {
        match self {
            RootError::Format { ctx, .. }
            | RootError::Unsupported { ctx, .. }
            | RootError::NotFound { ctx, .. }
            | RootError::Io { ctx, .. } => ctx,
        }
    }

    /// Names the file, unless an inner layer already did.
    pub fn in_file(mut self, file: &str) -> Self {
        let c = self.ctx_mut();
        if c.file.is_none() {
            c.file = Some(file.to_string());
        }
        self
    }
    pub fn in_tree(mut self, tree: &str) -> Self {
        let c = self.ctx_mut();
        if c.tree.is_none() {
            c.tree = Some(tree.to_string());
        }
        self
    }
    pub fn in_branch(mut self, branch: &str) -> Self {
        let c = self.ctx_mut();
        if c.branch.is_none() {
            c.branch = Some(branch.to_string());
        }
        self
    }
    pub fn in_basket(mut self, basket: usize) -> Self {
        let c = self.ctx_mut();
        if c.basket.is_none() {
            c.basket = Some(basket);
        }
        self
    }
}

impl fmt::Display for RootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, msg, ctx) = match self {
            RootError::Format { msg, ctx } => ("invalid ROOT data", msg, ctx),
            RootError::Unsupported { msg, ctx } => ("unsupported", msg, ctx),
            RootError::NotFound { msg, ctx } => ("not found", msg, ctx),
            RootError::Io { msg, ctx } => ("I/O error", msg, ctx),
        };
        write!(f, "{kind}: {msg}")?;
        if let Some(b) = &ctx.branch {
            write!(f, " (branch '{b}'")?;
            if let Some(k) = ctx.basket {
                write!(f, ", basket {k}")?;
            }
            write!(f, ")")?;
        }
        if let Some(t) = &ctx.tree {
            write!(f, " in tree '{t}'")?;
        }
        if let Some(p) = &ctx.file {
            write!(f, " in file '{p}'")?;
        }
        Ok(())
    }
}

impl std::error::Error for RootError {}
