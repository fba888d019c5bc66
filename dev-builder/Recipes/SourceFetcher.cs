using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;

namespace Modulus.DevBuilder.Recipes;

/// <summary>
/// Turns a driver source (file://, plain path, http(s)://) into a local path dev-builder can read, hashes it, and
/// refuses it before anything runs it when an expected SHA-256 is given and differs.
/// </summary>
internal sealed class SourceFetcher(HttpClient http, ILogger<SourceFetcher> logger)
{
    public async Task<FetchedSource> FetchAsync(string source, string? expectedSha256, string workDir, Action<string> say, CancellationToken cancellationToken)
    {
        var path = await LocalPathAsync(source, workDir, say, cancellationToken);
        if (Directory.Exists(path))
        {
            return expectedSha256 is null
                ? new FetchedSource(Redact(source), path, null)
                : throw new ModulusException($"driver source '{Redact(source)}' is a directory; --driver-source-sha256 checks a file (a .run or a tarball)", ExitCodes.InvalidInput);
        }

        string sha256;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        }

        if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModulusException(
                $"driver source '{Redact(source)}' has SHA-256 {sha256}, not the expected {expectedSha256.ToLowerInvariant()} (--driver-source-sha256); " +
                "it was not run. Check that the source is the package you meant, or correct the expected checksum.",
                ExitCodes.InvalidInput);
        }

        say($"driver source {Path.GetFileName(path)}: {new FileInfo(path).Length} bytes, sha256 {sha256}{(expectedSha256 is null ? string.Empty : " (as expected)")}");
        return new FetchedSource(Redact(source), path, sha256);
    }

    /// <summary>The source as it may be shown and recorded: no user info, no query (either may carry credentials).</summary>
    public static string Redact(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var uri) && !uri.IsFile && (uri.UserInfo.Length > 0 || uri.Query.Length > 0)
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty, Query = string.Empty }.Uri.ToString()
            : source;

    private async Task<string> LocalPathAsync(string source, string workDir, Action<string> say, CancellationToken cancellationToken)
    {
        if (source.StartsWith('/'))
        {
            return RequireLocal(source, source);
        }

        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri))
        {
            throw new ModulusException($"driver source '{source}' is neither an absolute path nor a file://, http:// or https:// URI", ExitCodes.InvalidInput);
        }

        if (uri.IsFile)
        {
            return RequireLocal(uri.LocalPath, source);
        }

        if (uri.Scheme is not ("http" or "https"))
        {
            throw new ModulusException($"driver source '{Redact(source)}': dev-builder fetches file://, http:// and https:// only", ExitCodes.InvalidInput);
        }

        var shown = Redact(source);
        var target = Path.Combine(workDir, "download", Path.GetFileName(uri.LocalPath) is { Length: > 0 } name ? name : "source");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        say($"downloading {shown}");
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ModulusException(
                $"downloading the driver source {shown} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}. " +
                "Check the driver version, or pass --driver-source with a file:// or http(s):// location the dev container can reach.");
        }

        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var file = File.Create(target))
        {
            await body.CopyToAsync(file, cancellationToken);
        }

        logger.LogInformation("Downloaded {Uri} ({Bytes} bytes)", shown, new FileInfo(target).Length);
        return target;
    }

    private static string RequireLocal(string path, string source) =>
        File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new ModulusException($"driver source '{source}' does not exist in the dev container ({path})", ExitCodes.InvalidInput);
}

/// <summary>A driver source on local disk: a file with its SHA-256, or a directory (no hash); <see cref="Source"/> is how it was given, redacted.</summary>
internal sealed record FetchedSource(string Source, string Path, string? Sha256);
