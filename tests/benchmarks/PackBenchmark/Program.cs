// Measures the blob compression candidates on a driver-sized artifact: a tar of real ELF binaries (what an
// NVIDIA driver artifact mostly is: lib*.so, kernel modules, GSP firmware ELF images), a few hundred MB.
// Prints size, ratio and MB/s for compression and decompression (zstd as modulus packs it: ZstdSharp, every core). Usage: PackBenchmark [corpus MiB, default 300]
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

var targetMiB = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
string[] roots = ["/usr/lib/x86_64-linux-gnu", "/usr/share/dotnet", "/usr/lib/gcc", "/usr/libexec", "/usr/bin", "/usr/lib/modules", "/lib/modules"];
var corpus = new MemoryStream();
long taken = 0;
var files = 0;
using (var tar = new TarWriter(corpus, TarEntryFormat.Ustar, leaveOpen: true))
{
    foreach (var path in roots.Where(Directory.Exists).SelectMany(r => Directory.EnumerateFiles(r, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })))
    {
        if (taken >= (long)targetMiB << 20)
        {
            break;
        }

        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Length < 4096 || !IsElf(path))
        {
            continue;
        }

        tar.WriteEntry(path, path.TrimStart('/'));
        taken += info.Length;
        files++;
    }
}

var data = corpus.ToArray();
Console.WriteLine($"corpus: {files} ELF files, {data.Length / 1048576.0:F0} MiB of tar; {Environment.ProcessorCount} cores");
Console.WriteLine($"{"codec",-22} {"size MiB",9} {"ratio",6} {"pack MB/s",10} {"unpack MB/s",12}");
Measure("gzip Fastest", s => new GZipStream(s, CompressionLevel.Fastest, true), s => new GZipStream(s, CompressionMode.Decompress));
Measure("gzip Optimal", s => new GZipStream(s, CompressionLevel.Optimal, true), s => new GZipStream(s, CompressionMode.Decompress));
Measure("gzip SmallestSize", s => new GZipStream(s, CompressionLevel.SmallestSize, true), s => new GZipStream(s, CompressionMode.Decompress));
Measure("zstd 3, 1 thread", s => Zstd(s, 3, 0), s => new ZstdSharp.DecompressionStream(s));
Measure($"zstd 3, {Environment.ProcessorCount} threads", s => Zstd(s, 3, Environment.ProcessorCount), s => new ZstdSharp.DecompressionStream(s));
Measure($"zstd 9, {Environment.ProcessorCount} threads", s => Zstd(s, 9, Environment.ProcessorCount), s => new ZstdSharp.DecompressionStream(s));
Measure("brotli Fastest", s => new BrotliStream(s, CompressionLevel.Fastest, true), s => new BrotliStream(s, CompressionMode.Decompress));
Measure("brotli Optimal", s => new BrotliStream(s, CompressionLevel.Optimal, true), s => new BrotliStream(s, CompressionMode.Decompress));

void Measure(string name, Func<Stream, Stream> compress, Func<Stream, Stream> decompress)
{
    var packed = new MemoryStream();
    var watch = Stopwatch.StartNew();
    using (var c = compress(packed))
    {
        c.Write(data);
    }

    var packSeconds = watch.Elapsed.TotalSeconds;
    packed = new MemoryStream(packed.ToArray());
    watch.Restart();
    using (var d = decompress(packed))
    {
        d.CopyTo(Stream.Null);
    }

    var unpackSeconds = watch.Elapsed.TotalSeconds;
    var size = packed.ToArray().Length;
    Console.WriteLine($"{name,-22} {size / 1048576.0,9:F1} {(double)data.Length / size,6:F2} {data.Length / 1e6 / packSeconds,10:F0} {data.Length / 1e6 / unpackSeconds,12:F0}");
}

static Stream Zstd(Stream target, int level, int workers)
{
    var zstd = new ZstdSharp.CompressionStream(target, level, leaveOpen: true);
    zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
    return zstd;
}

static bool IsElf(string path)
{
    Span<byte> magic = stackalloc byte[4];
    using var file = File.OpenRead(path);
    return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
}
