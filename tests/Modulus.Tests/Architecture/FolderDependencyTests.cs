using System.Text.RegularExpressions;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Architecture;

/// <summary>
/// The feature folders of modulus/ form no cycle: a folder that uses another (a <c>using Modulus.X</c> or a
/// <c>Modulus.X.</c>-qualified name) is never used back, directly or through others.
/// </summary>
public sealed partial class FolderDependencyTests
{
    [Fact]
    public void No_folder_of_modulus_uses_a_folder_that_uses_it_back()
    {
        var source = Path.Combine(Repo.Root, "modulus");
        var folders = Directory.GetDirectories(source).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToHashSet(StringComparer.Ordinal);
        var uses = folders.ToDictionary(f => f!, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);

        // using Modulus.X; Modulus.X.Type; and X.Type relative to the Modulus namespace (not a member access like run.Upgrade.Fail)
        var relative = new Regex($@"(?<![\w.])({string.Join("|", folders)})\.[A-Z]");
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, folder!), "*.cs", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                foreach (var match in Reference().Matches(text).Concat(relative.Matches(text)))
                {
                    var used = match.Groups[1].Value;
                    if (used != folder && folders.Contains(used))
                    {
                        uses[folder!].Add(used);
                    }
                }
            }
        }

        uses.Should().ContainKey("Install").WhoseValue.Should().Contain("Storage", "the scan sees the folders' references");
        var cycles = uses.Keys.Select(f => Cycle(f, uses)).OfType<string>().Distinct().ToList();
        cycles.Should().BeEmpty("folders depend one way only; found: {0}", string.Join("; ", cycles));
    }

    /// <summary>A path from <paramref name="start"/> back to itself, as "A -> B -> A", or null.</summary>
    private static string? Cycle(string start, Dictionary<string, HashSet<string>> uses)
    {
        var queue = new Queue<List<string>>([[start]]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (queue.TryDequeue(out var path))
        {
            foreach (var next in uses[path[^1]])
            {
                if (next == start)
                {
                    return string.Join(" -> ", path.Append(start));
                }

                if (seen.Add(next))
                {
                    queue.Enqueue([.. path, next]);
                }
            }
        }

        return null;
    }

    [GeneratedRegex(@"(?:^using\s+Modulus\.|\bModulus\.)([A-Z][A-Za-z]*)\b", RegexOptions.Multiline)]
    private static partial Regex Reference();
}
