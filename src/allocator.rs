//! glibc malloc settings for column-at-a-time work.
//!
//! Decoding allocates and frees buffers of hundreds of kilobytes per basket. With glibc's
//! defaults each such buffer is a fresh `mmap`, so every basket pays page faults and zeroing of
//! new pages, then an `munmap`: measured at over half the time of reading an uncompressed file.
//! Keeping freed memory in the heap removes that without changing the peak.

/// Makes glibc reuse freed buffers instead of returning them to the kernel at once. Call it at
/// the start of a program (the shell and tools do); a no-op on other C libraries.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; valid at any time, from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}
