namespace Modulus.Core.Pipes;

/// <summary>The files in the cmd dir that modulus and dev-builder share.</summary>
public sealed record CmdDir(string Path)
{
    public string RequestFifo => System.IO.Path.Combine(Path, "request.fifo");

    public string ResponseFifo => System.IO.Path.Combine(Path, "response.fifo");

    public string ReadyFile => System.IO.Path.Combine(Path, "ready.json");

    /// <summary>dev-builder's in-progress directory for a job, beside the finished one in its out dir.</summary>
    public static string PartialJobDir(string outDir, string job) => System.IO.Path.Combine(outDir, ".partial-" + job);

    /// <summary>The self-contained dev-builder that bootstrap.sh waits for.</summary>
    public string Payload => System.IO.Path.Combine(Path, "dev-builder.tar.gz");
}
