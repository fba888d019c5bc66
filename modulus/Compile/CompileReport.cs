using Modulus.Core.Artifacts;

namespace Modulus.Compile;

/// <summary>What <c>modulus compile</c> prints on stdout: per kernel, what was built (or skipped) and published, then what failed.</summary>
internal static class CompileReport
{
    public static async Task WriteAsync(CompileRun run, TextWriter output)
    {
        foreach (var result in run.Results)
        {
            await WriteAsync(result, output);
        }

        foreach (var failure in run.Failures)
        {
            await output.WriteLineAsync($"failed for kernel {failure.Kernel}: {failure.Error.Message}");
        }
    }

    private static async Task WriteAsync(CompileResult result, TextWriter output)
    {
        var manifest = result.Manifest;
        if (result.Skipped)
        {
            await output.WriteLineAsync($"skipped {manifest.Key}: {result.PublishedTo} has it already (use --force to build it again)");
            return;
        }

        await output.WriteLineAsync($"built {manifest.Key}");
        await output.WriteLineAsync($"  directory: {result.Directory}");
        if (result.PublishedTo is not null)
        {
            await output.WriteLineAsync($"  published: {result.PublishedTo} {manifest.Blob!.Key} ({manifest.Blob.Size} bytes)");
        }

        await output.WriteLineAsync($"  files: {manifest.Files.Count}, {manifest.Files.Sum(f => f.Size) / 1048576.0:F1} MiB");
        if (manifest.Build is { ModulesStripped: true, ModuleBytesBeforeStrip: { } before, ModuleBytes: { } after })
        {
            await output.WriteLineAsync($"  modules stripped of debug info: {before / 1048576.0:F1} MiB -> {after / 1048576.0:F1} MiB");
        }

        if (manifest.Build.DriverSourceSha256 is { } sourceSha)
        {
            await output.WriteLineAsync($"  source: {manifest.Build.DriverSource} (sha256 {sourceSha})");
        }

        if (manifest.Build.ModuleSigner is { } moduleSigner)
        {
            await output.WriteLineAsync($"  modules signed by: {moduleSigner}");
        }

        await output.WriteLineAsync($"  kernel headers: {manifest.Build.KernelHeaders}{(manifest.Build.KernelSource is { } src && src != manifest.Build.KernelHeaders ? " (source " + src + ")" : string.Empty)}");
        await output.WriteLineAsync("  modules (load order):");
        foreach (var module in manifest.Modules)
        {
            await output.WriteLineAsync($"    {module.Name,-16} {module.Path}  vermagic: {module.Vermagic.TrimEnd()}");
        }

        foreach (var warning in result.Warnings)
        {
            await output.WriteLineAsync($"  warning: {warning}");
        }
    }
}
