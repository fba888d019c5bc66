namespace Modulus.Core.Pipes;

/// <summary>Constants of the modulus ↔ dev-builder protocol (docs/protocol.md).</summary>
public static class Protocol
{
    public const int Version = 1;

    /// <summary>Longest line either side accepts, newline excluded.</summary>
    public const int MaxLineBytes = 64 * 1024;

    public static class RequestTypes
    {
        public const string Build = "build";
        public const string Ping = "ping";
        public const string Shutdown = "shutdown";
    }

    public static class ResponseTypes
    {
        public const string Accepted = "accepted";
        public const string Log = "log";
        public const string Heartbeat = "heartbeat";
        public const string Result = "result";
        public const string Pong = "pong";
        public const string Error = "error";
    }

    public static class ResultStatus
    {
        public const string Succeeded = "succeeded";
        public const string Failed = "failed";
        public const string Rejected = "rejected";
    }
}
