using System.Net;
using Modulus.Core.Errors;

namespace Modulus.Kubernetes;

/// <summary>A Kubernetes API call failed; carries the HTTP status (0 when the server was not reached).</summary>
internal sealed class KubernetesApiException(string message, HttpStatusCode status, Exception? inner = null)
    : ModulusException(message, ExitCodes.Failure, inner)
{
    public HttpStatusCode Status { get; } = status;
}
