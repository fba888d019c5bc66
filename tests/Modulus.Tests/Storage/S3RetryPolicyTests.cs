using System.Net;
using Amazon.S3;
using Modulus.Storage;

namespace Modulus.Tests.Storage;

public sealed class S3RetryPolicyTests
{
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.NotImplemented, false)] // s3rver's ListMultipartUploads: every publish waited through 4 attempts
    [InlineData(HttpStatusCode.Forbidden, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    public void Retries_what_can_pass_and_not_what_the_service_lacks(HttpStatusCode status, bool transient) =>
        S3Store.IsTransient(new AmazonS3Exception("x") { StatusCode = status }).Should().Be(transient);
}
