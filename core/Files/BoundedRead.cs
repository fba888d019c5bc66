namespace Modulus.Core.Files;

/// <summary>Reads a whole small object (a manifest, a signature) with a size cap, so a huge or endless one costs no memory.</summary>
public static class BoundedRead
{
    /// <summary>Every byte of <paramref name="stream"/>; throws <see cref="InvalidDataException"/> once more than <paramref name="limit"/> bytes come.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, int limit, string what, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[Math.Min(limit + 1, 1 << 16)];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                throw new InvalidDataException($"{what} is larger than {Describe(limit)}, more than any {KindOf(what)} Modulus writes; it is not read further");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static string Describe(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    private static string KindOf(string what) => what.EndsWith(".json", StringComparison.Ordinal) ? "such file" : "object of its kind";
}
