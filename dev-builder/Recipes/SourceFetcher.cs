using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;

namespace Modulus.DevBuilder.Recipes;

/// <summary>Turns a driver source (file://, plain path, http(s)://) into a local path dev-builder can read.</summary>
internal sealed class SourceFetcher(HttpClient http, ILogger<SourceFetcher> logger)
{
    public async Task<string> FetchAsync(string source, string workDir, Action<string> say, CancellationToken cancellationToken)
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
            throw new ModulusException($"driver source '{source}': dev-builder fetches file://, http:// and https:// only", ExitCodes.InvalidInput);
        }

        var target = Path.Combine(workDir, "download", Path.GetFileName(uri.LocalPath) is { Length: > 0 } name ? name : "source");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        say($"downloading {uri}");
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ModulusException(
                $"downloading the driver source {uri} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}. " +
                "Check the driver version, or pass --driver-source with a file:// or http(s):// location the dev container can reach.");
        }

        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var file = File.Create(target))
        {
            await body.CopyToAsync(file, cancellationToken);
        }

        logger.LogInformation("Downloaded {Uri} ({Bytes} bytes)", uri, new FileInfo(target).Length);
        return target;
    }

    private static string RequireLocal(string path, string source) =>
        File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new ModulusException($"driver source '{source}' does not exist in the dev container ({path})", ExitCodes.InvalidInput);
}
