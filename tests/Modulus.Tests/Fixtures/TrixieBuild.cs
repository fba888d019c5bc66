namespace Modulus.Tests.Fixtures;

/// <summary>
/// Builds for Debian trixie's kernels (6.12 with gcc-14, amd64 and arm64): `modulus compile --local-builder` inside a
/// trixie root through tests/vm/compile-in-trixie.sh, the one place that says which root (MODULUS_TRIXIE_IMAGE, e.g.
/// the kmodbuild twin, or MODULUS_TRIXIE_ROOT). The VM kernels of <see cref="VmKernel.Trixie"/> and
/// <see cref="VmKernel.Arm64"/> come from the same trixie, so the root's headers are theirs.
/// </summary>
public static class TrixieBuild
{
    /// <summary>Runs compile with <paramref name="arguments"/>; <paramref name="paths"/> are the host paths they name (cache, store, driver).</summary>
    public static Task<(int ExitCode, ChildProcess Process)> CompileAsync(IEnumerable<string> paths, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ChildProcess.RunAsync("sh", [Path.Combine(Repo.Root, "tests", "vm", "compile-in-trixie.sh"), .. paths, "--", .. arguments],
            timeout: timeout ?? TimeSpan.FromMinutes(5));
}
