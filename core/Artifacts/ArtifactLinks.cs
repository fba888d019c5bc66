namespace Modulus.Core.Artifacts;

/// <summary>
/// The rule for symlinks in an artifact (docs/manifest.md): a relative target that, resolved the way the kernel
/// would — through every other link of the artifact wherever the path passes one, up to 40 hops — stays inside
/// the artifact. An absolute link means something else wherever the artifact is seen from another root (a
/// container's <c>/host</c>, a bind mount), so none is allowed.
/// </summary>
public static class ArtifactLinks
{
    public const int MaxHops = 40;

    /// <summary>Why the first offending link of <paramref name="files"/> is refused, or null when every link is fine.</summary>
    public static string? FindProblem(IEnumerable<FileEntry> files)
    {
        var links = files.Where(f => f.LinkTarget is not null).ToDictionary(f => f.Path, f => f.LinkTarget!, StringComparer.Ordinal);
        foreach (var (from, to) in links.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (Path.IsPathRooted(to))
            {
                return $"'{from}' is a symlink to '{to}', an absolute target";
            }

            if (!ResolvesInside(from, to, links))
            {
                return $"'{from}' is a symlink to '{to}', which does not resolve inside the artifact";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the link <paramref name="from"/> → <paramref name="to"/> (paths relative to the artifact, '/'
    /// separated) stays inside the artifact when every link in <paramref name="links"/> is followed wherever the
    /// path passes through it.
    /// </summary>
    public static bool ResolvesInside(string from, string to, IReadOnlyDictionary<string, string> links)
    {
        if (Path.IsPathRooted(to))
        {
            return false;
        }

        var path = new List<string>(from.Split('/')[..^1]);
        var pending = new LinkedList<string>(to.Split('/'));
        var hops = 0;
        while (pending.First is { } next)
        {
            pending.RemoveFirst();
            var part = next.Value;
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (path.Count == 0)
                {
                    return false;
                }

                path.RemoveAt(path.Count - 1);
                continue;
            }

            path.Add(part);
            if (links.TryGetValue(string.Join('/', path), out var through))
            {
                if (++hops > MaxHops || Path.IsPathRooted(through))
                {
                    return false;
                }

                path.RemoveAt(path.Count - 1);
                foreach (var inner in through.Split('/').Reverse())
                {
                    pending.AddFirst(inner);
                }
            }
        }

        return true;
    }
}
