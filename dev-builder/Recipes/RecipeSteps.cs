using Modulus.Core.Errors;
using Modulus.Core.Processes;

namespace Modulus.DevBuilder.Recipes;

/// <summary>Steps several recipes share: running a tool with its output streamed, and collecting files into the artifact.</summary>
internal sealed class RecipeSteps(IProcessRunner runner)
{
    // Plain ASCII diagnostics, whatever the container's locale: operators and tools grep them.
    // The kernel Makefile unexports LC_ALL, so gcc falls back to LANG and LC_*: set them all.
    private static readonly Dictionary<string, string?> BuildEnvironment = new() { ["LC_ALL"] = "C", ["LANG"] = "C", ["LC_CTYPE"] = "C", ["LC_MESSAGES"] = "C" };

    private static readonly string[] DepmodLocations = ["/usr/sbin/depmod", "/sbin/depmod", "/usr/bin/depmod"];

    private static readonly string[] StripLocations = ["/usr/bin/strip", "/bin/strip"];

    public Task<ProcessResult> RunAsync(BuildContext context, string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? workingDirectory = null)
    {
        context.Say("$ " + new ProcessSpec(program, arguments).CommandLine);
        var spec = new ProcessSpec(program, arguments) { WorkingDirectory = workingDirectory, Environment = BuildEnvironment, OwnProcessGroup = true, GuardPid = Environment.ProcessId };
        return runner.RunAsync(spec, context.OnOutput, cancellationToken);
    }

    /// <summary>
    /// Runs a program whose output is not shown, in the log or in an error (only its exit code): for unpacking a
    /// driver source, whose output may echo the file's content.
    /// </summary>
    public async Task RunQuietlyAsync(BuildContext context, string program, IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        var spec = new ProcessSpec(program, arguments)
        {
            Environment = BuildEnvironment, ValidateExitCode = false, LogOutput = false, StderrTailLines = 0, StdoutTailLines = 0, OwnProcessGroup = true, GuardPid = Environment.ProcessId,
        };
        context.Say("$ " + spec.CommandLine + " (output not shown)");
        var result = await runner.RunAsync(spec, null, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new CommandFailedException(spec.CommandLine + $" ({what}; its output is not shown, as it may repeat the file's content)", result.ExitCode, []);
        }
    }

    /// <summary>make with one job per core, and the headers' ARCH and CROSS_COMPILE for a cross build.</summary>
    public Task<ProcessResult> MakeAsync(BuildContext context, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(context, "make", [$"-j{Environment.ProcessorCount}", .. arguments, .. context.Toolchain.MakeVariables], cancellationToken);

    /// <summary>Copies the built modules into <c>lib/modules/&lt;kernel&gt;/</c>; none at all is an error.</summary>
    public static void CollectModules(BuildContext context, string buildDir, SearchOption search)
    {
        var modules = Directory.GetFiles(buildDir, "*.ko", search).Order(StringComparer.Ordinal).ToList();
        if (modules.Count == 0)
        {
            throw new ModulusException($"the build finished but produced no .ko files in {buildDir}");
        }

        Directory.CreateDirectory(context.ModulesDir);
        foreach (var module in modules)
        {
            var target = Path.Combine(context.ModulesDir, Path.GetFileName(module));
            if (File.Exists(target))
            {
                throw new ModulusException($"two modules are named {Path.GetFileName(module)}; module names must be unique in one artifact");
            }

            File.Copy(module, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            context.Say($"collected {Path.GetFileName(module)}");
        }
    }

    /// <summary>
    /// Strips debug info from every collected module as <c>make modules_install INSTALL_MOD_STRIP=1</c> does
    /// (<c>strip --strip-debug</c>), unless the request keeps it; returns the modules' total size before and after.
    /// </summary>
    public async Task<(long Before, long After)> StripModulesAsync(BuildContext context, CancellationToken cancellationToken)
    {
        var modules = Directory.Exists(context.ModulesDir) ? Directory.GetFiles(context.ModulesDir, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList() : [];
        long Total() => modules.Sum(m => new FileInfo(m).Length);
        var before = Total();
        if (context.Spec.KeepDebugInfo || modules.Count == 0)
        {
            return (before, before);
        }

        // A cross build's modules need the cross binutils' strip: the machine's knows only its own architecture.
        var strip = context.Toolchain.Cross ? context.Toolchain.Tool("strip") : StripLocations.FirstOrDefault(File.Exists) ?? "strip";
        await RunAsync(context, strip, ["--strip-debug", .. modules], cancellationToken);
        var after = Total();
        context.Say($"stripped debug info from {modules.Count} module(s): {Mebibytes(before)} -> {Mebibytes(after)}");
        return (before, after);
    }

    private static string Mebibytes(long bytes) => $"{bytes / 1048576.0:F1} MiB";

    /// <summary>
    /// Signs every module in the kernel's module signature format with the headers' own <c>scripts/sign-file</c>
    /// (after stripping, which would remove a signature); returns the signer (subject, SHA-256 fingerprint), or null
    /// when the request asks for no signing.
    /// </summary>
    public async Task<string?> SignModulesAsync(BuildContext context, CancellationToken cancellationToken)
    {
        var (key, cert) = (context.Spec.SigningKey, context.Spec.SigningCert);
        if (key is null && cert is null)
        {
            return null;
        }

        if (key is null || cert is null || !File.Exists(key) || !File.Exists(cert))
        {
            throw new ModulusException($"module signing needs both a key and a certificate that exist in the dev container (key '{key}', certificate '{cert}')", ExitCodes.InvalidInput);
        }

        var signFile = new[] { context.Kernel.Path, context.Kernel.SourceOrPath }.Select(d => Path.Combine(d, "scripts", "sign-file")).FirstOrDefault(File.Exists)
            ?? throw new ModulusException($"the kernel headers {context.Kernel.Path} have no scripts/sign-file to sign modules with");
        using var certificate = LoadCertificate(cert);
        var signer = $"{certificate.Subject}, sha256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()}";
        foreach (var module in Directory.GetFiles(context.ModulesDir, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            await RunAsync(context, signFile, ["sha256", key, cert, module], cancellationToken);
        }

        context.Say($"signed the modules for Secure Boot as {signer}");
        return signer;
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadCertificate(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(text)
                : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new ModulusException($"the module signing certificate {path} is not an X.509 certificate (PEM or DER): {e.Message}", ExitCodes.InvalidInput);
        }
    }

    /// <summary>Writes modules.dep and friends for the collected modules (<c>depmod -b</c>).</summary>
    public async Task DepmodAsync(BuildContext context, CancellationToken cancellationToken)
    {
        // depmod warns about these kbuild files of a full kernel tree; an artifact has only its own modules.
        var modules = Directory.GetFiles(context.ModulesDir, "*.ko", SearchOption.AllDirectories)
            .Select(m => Path.GetRelativePath(context.ModulesDir, m)).Order(StringComparer.Ordinal);
        await File.WriteAllLinesAsync(Path.Combine(context.ModulesDir, "modules.order"), modules, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(context.ModulesDir, "modules.builtin"), string.Empty, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(context.ModulesDir, "modules.builtin.modinfo"), string.Empty, cancellationToken);
        var depmod = DepmodLocations.FirstOrDefault(File.Exists) ?? "depmod";
        try
        {
            await RunAsync(context, depmod, ["-b", context.OutputDir, context.Kernel.Release], cancellationToken);
        }
        catch (ModulusException e) when (e is not CommandFailedException)
        {
            context.Say($"depmod is not available ({e.Message}); the artifact carries no modules.dep, which install does not need");
        }
    }

    /// <summary>The first line of <c><paramref name="compiler"/> --version</c>; null where it is not on the PATH or fails.</summary>
    public async Task<string?> CompilerVersionAsync(string compiler, CancellationToken cancellationToken)
    {
        if (KernelToolchain.FindOnPath(compiler) is null)
        {
            return null;
        }

        var first = string.Empty;
        try
        {
            await runner.RunAsync(new ProcessSpec(compiler, ["--version"]), line => first = first.Length == 0 ? line.Text : first, cancellationToken);
            return first.Length == 0 ? null : first;
        }
        catch (ModulusException)
        {
            return null;
        }
    }

    /// <summary>Copies one file, keeping its mode.</summary>
    public static void CopyFile(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: false);
        File.SetUnixFileMode(target, File.GetUnixFileMode(source));
    }

    /// <summary>Copies a directory tree, keeping modes and symlinks.</summary>
    public static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(destination, link);
            }
            else if (entry is DirectoryInfo)
            {
                CopyTree(entry.FullName, destination);
            }
            else
            {
                CopyFile(entry.FullName, destination);
            }
        }
    }
}
