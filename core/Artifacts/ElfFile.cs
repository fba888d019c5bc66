using System.Buffers.Binary;
using System.Text;

namespace Modulus.Core.Artifacts;

/// <summary>
/// Just enough of ELF64 little-endian (x86_64, aarch64) to read a kernel module's <c>.modinfo</c>
/// and a shared library's <c>DT_SONAME</c>.
/// </summary>
public sealed class ElfFile
{
    private const uint SHT_DYNAMIC = 6;
    private const long DT_NULL = 0;
    private const long DT_SONAME = 14;

    private readonly byte[] data;
    private readonly List<Section> sections = [];

    private ElfFile(string path, byte[] data)
    {
        Path = path;
        this.data = data;
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new InvalidDataException($"{path} is not an ELF file");
        }

        if (data[4] != 2 || data[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file (class {data[4]}, data {data[5]})");
        }

        var shoff = (long)U64(40);
        var shentsize = U16(58);
        var shnum = U16(60);
        var shstrndx = U16(62);
        if (shoff <= 0 || shentsize < 64 || shoff + ((long)shnum * shentsize) > data.Length || shstrndx >= shnum)
        {
            throw new InvalidDataException($"{path} has a truncated or malformed ELF section table");
        }

        var raw = new List<(uint Name, uint Type, long Offset, long Size, uint Link)>();
        for (var i = 0; i < shnum; i++)
        {
            var at = (int)(shoff + (i * shentsize));
            raw.Add((U32(at), U32(at + 4), (long)U64(at + 24), (long)U64(at + 32), U32(at + 40)));
        }

        var names = raw[shstrndx];
        foreach (var s in raw)
        {
            sections.Add(new Section(CString(names.Offset + s.Name), s.Type, s.Offset, s.Size, s.Link));
        }
    }

    public string Path { get; }

    public static ElfFile Load(string path) => new(path, File.ReadAllBytes(path));

    /// <summary>The key=value pairs of the <c>.modinfo</c> section, in file order (keys may repeat).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ModInfo()
    {
        var section = sections.FirstOrDefault(s => s.Name == ".modinfo")
            ?? throw new InvalidDataException($"{Path} has no .modinfo section; is it a kernel module?");
        var bytes = Bytes(section);
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var entry in Encoding.UTF8.GetString(bytes).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0)
            {
                pairs.Add(new(entry[..eq], entry[(eq + 1)..]));
            }
        }

        return pairs;
    }

    /// <summary>The library's <c>DT_SONAME</c>, or null when it has none.</summary>
    public string? Soname()
    {
        var dynamic = sections.FirstOrDefault(s => s.Type == SHT_DYNAMIC);
        if (dynamic is null || dynamic.Link >= sections.Count)
        {
            return null;
        }

        var strings = sections[(int)dynamic.Link];
        var bytes = Bytes(dynamic);
        for (var at = 0; at + 16 <= bytes.Length; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
            if (tag == DT_NULL)
            {
                break;
            }

            if (tag == DT_SONAME)
            {
                var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at + 8));
                return CString(strings.Offset + offset);
            }
        }

        return null;
    }

    private byte[] Bytes(Section s)
    {
        if (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > data.Length)
        {
            throw new InvalidDataException($"{Path}: section {s.Name} lies outside the file");
        }

        return data.AsSpan((int)s.Offset, (int)s.Size).ToArray();
    }

    private string CString(long offset)
    {
        if (offset < 0 || offset >= data.Length)
        {
            throw new InvalidDataException($"{Path}: string offset {offset} lies outside the file");
        }

        var span = data.AsSpan((int)offset);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    private ushort U16(int at) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));

    private uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));

    private ulong U64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at));

    private sealed record Section(string Name, uint Type, long Offset, long Size, uint Link);
}
