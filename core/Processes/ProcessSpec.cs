namespace Modulus.Core.Processes;

/// <summary>What to run: program, arguments, environment, and how to judge and stop it.</summary>
public sealed record ProcessSpec(string Program, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Variables no child inherits: the S3 credentials (make, a driver's .run under --local-builder, nvidia-smi and
    /// ldconfig need none of them). A spec that needs one sets it in <see cref="Environment"/>.
    /// </summary>
    public static readonly IReadOnlyList<string> SecretVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

    /// <summary>Variables set (or, with a null value, removed) on top of the inherited environment, which never carries <see cref="SecretVariables"/>.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Throw <see cref="CommandFailedException"/> on a non-zero exit code.</summary>
    public bool ValidateExitCode { get; init; } = true;

    /// <summary>Time between SIGTERM and SIGKILL when the caller cancels.</summary>
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Run in a process group of its own (<c>setsid</c>), stopped as a whole on cancel (SIGTERM, then SIGKILL to
    /// the group), and killed as a whole when process <see cref="GuardPid"/> is gone.
    /// </summary>
    public bool OwnProcessGroup { get; init; }

    /// <summary>With <see cref="OwnProcessGroup"/>: the process whose death ends the group (dev-builder itself); 0 for none.</summary>
    public int GuardPid { get; init; }

    /// <summary>
    /// Each output line goes to the logger (stdout at Information, stderr at Warning); false for a program whose output
    /// may repeat a file's content, which then reaches only the caller's <c>onOutput</c>, if it passes one.
    /// </summary>
    public bool LogOutput { get; init; } = true;

    /// <summary>How many of the last stderr lines a failure carries.</summary>
    public int StderrTailLines { get; init; } = 20;

    /// <summary>
    /// How many of the last stdout lines a failure carries: a failed build often says why there, above make's own
    /// <c>*** Error</c> lines on stderr (NVIDIA's Kbuild echoes a failed sanity check's verdict to stdout). make's
    /// "Entering/Leaving directory" lines are not counted.
    /// </summary>
    public int StdoutTailLines { get; init; } = 5;

    public string CommandLine => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
