namespace Modulus.Tests.Fixtures;

/// <summary>A fact that needs <see cref="NvidiaTools"/>: skipped, with the reason, where they are absent.</summary>
public sealed class NvidiaToolsFactAttribute : FactAttribute
{
    public NvidiaToolsFactAttribute()
    {
        Timeout = TestTimeouts.Build;
        if (!NvidiaTools.Present)
        {
            Skip = NvidiaTools.MissingReason;
        }
    }
}
