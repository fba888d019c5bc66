using Modulus.Commands.Options;
using Modulus.Cache;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus verify --store URI | --cache-dir DIR</c>: re-hash every artifact against its manifest.</summary>
internal static class VerifyCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Verify the entries of this host cache instead of a store" };
        var store = new StoreOptions(getVariable);
        var command = new Command("verify", "Re-hash every artifact of a store or a cache and report each bad one") { cacheDir };
        store.AddTo(command);
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var cache = parsed.GetValue(cacheDir);
                if ((cache is null) == (parsed.GetValue(store.Store) is null))
                {
                    throw new InvalidInputException("pass exactly one of --store URI and --cache-dir DIR");
                }

                var results = cache is null
                    ? await VerifyStoreAsync(store, parsed, loggers, token)
                    : await VerifyCacheAsync(cache, loggers.CreateLogger("modulus.verify"), token);
                foreach (var (name, problem) in results)
                {
                    await Console.Out.WriteLineAsync(problem is null ? $"ok   {name}" : $"BAD  {name}: {problem}");
                }

                var bad = results.Count(r => r.Problem is not null);
                await Console.Out.WriteLineAsync($"{results.Count} artifact(s) checked, {bad} bad");
                return bad == 0 ? ExitCodes.Success : throw new IntegrityException($"{bad} of {results.Count} artifact(s) failed verification (listed above)");
            },
            cancellationToken));
        return command;
    }

    private static async Task<List<(string Name, string? Problem)>> VerifyStoreAsync(StoreOptions store, ParseResult parsed, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var artifactStore = store.Open(parsed, loggers)!;
        var fetcher = new Fetcher(artifactStore, loggers.CreateLogger<Fetcher>());
        var results = new List<(string, string?)>();
        foreach (var (manifestKey, manifest, problem) in await new StoreCatalog(artifactStore, fetcher, loggers.CreateLogger<StoreCatalog>()).ReadAllAsync(string.Empty, cancellationToken))
        {
            if (manifest is null)
            {
                results.Add((manifestKey, problem));
                continue;
            }

            var scratch = Directory.CreateTempSubdirectory("modulus-verify-").FullName;
            try
            {
                // Fetch's checks (the blob's hash, every entry against the manifest), then every file's hash: a blob that
                // matches its own hash but not the files its manifest lists (a faulty publisher) is found here.
                await fetcher.ExtractVerifiedAsync(manifest, scratch, cancellationToken);
                var problems = await ManifestFile.CompareAsync(scratch, manifest, cancellationToken);
                var signer = (artifactStore as SigningStore)?.SignerOf(manifestKey);
                results.Add(problems.Count == 0
                    ? (manifestKey + (signer is null ? string.Empty : $" (signed by {signer})"), null)
                    : (manifestKey, $"its blob does not hold the files its manifest lists: {string.Join("; ", problems.Take(10))}"));
            }
            catch (Exception e) when (e is IntegrityException or StoreException)
            {
                results.Add((manifestKey, e.Message));
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        return results;
    }

    private static async Task<List<(string Name, string? Problem)>> VerifyCacheAsync(string cache, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(cache))
        {
            throw new InvalidInputException($"--cache-dir {cache} does not exist");
        }

        var results = new List<(string, string?)>();
        foreach (var entry in new HostCache(cache).Entries())
        {
            if (!entry.HasManifest)
            {
                results.Add((entry.Name, "no manifest.json: an incomplete entry (install fetches it again)"));
                continue;
            }

            try
            {
                var manifest = await ManifestFile.ReadAsync(entry.Directory, cancellationToken);
                IReadOnlyList<string> problems;
                using (var progress = new TransferProgress("verify", manifest.Files.Sum(f => f.Size), logger, entry.Name))
                {
                    problems = await ManifestFile.CompareAsync(entry.Directory, manifest, cancellationToken, progress);
                }

                results.Add((entry.Name, problems.Count == 0 ? null : string.Join("; ", problems.Take(10))));
            }
            catch (InvalidDataException e)
            {
                results.Add((entry.Name, e.Message));
            }
        }

        return results;
    }
}
