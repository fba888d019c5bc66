using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// A stand-in for the Kubernetes API server (no real one can run here): HTTP/1.1 over loopback, optionally TLS with
/// a test CA, implementing GET/PATCH of nodes, PATCH of nodes/&lt;node&gt;/status (conditions), POST of events and
/// GET of a namespace's DaemonSets (what NVIDIA's GPU Operator validator asks),
/// recording every request, answering with scripted failures first when a test asks for them, and, while
/// <see cref="Down"/>, closing every connection unanswered like a server that was killed.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly X509Certificate2? serverCertificate;
    private readonly Task loop;

    public KubernetesApiStandIn(bool tls = false)
    {
        if (tls)
        {
            (CertificateAuthority, serverCertificate) = CreateCertificates();
        }

        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public sealed record Recorded(string Method, string Path, string? Authorization, string? ContentType, string Body);

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public ConcurrentDictionary<string, string> Labels { get; } = new();

    public ConcurrentDictionary<string, string> Annotations { get; } = new();

    /// <summary>What GET /api/v1/nodes lists (the labelSelector is recorded in <see cref="Requests"/>, not applied).</summary>
    public JsonArray NodeList { get; } = [];

    /// <summary>spec.unschedulable per node (cordoned), as node patches leave it.</summary>
    public ConcurrentDictionary<string, bool> Unschedulable { get; } = new();

    /// <summary>The pods the API knows, by namespace/name: <c>spec.nodeName</c>, containers with resources, owners.</summary>
    public ConcurrentDictionary<string, JsonObject> Pods { get; } = new();

    /// <summary>Called with namespace/name after a pod was evicted.</summary>
    public Action<string>? OnEvicted { get; set; }

    /// <summary>What GET /apis/apps/v1/namespaces/&lt;ns&gt;/daemonsets lists, by namespace (none: an empty list; the labelSelector is recorded, not applied).</summary>
    public ConcurrentDictionary<string, JsonArray> DaemonSets { get; } = new();

    /// <summary>Leases by namespace/name, with a resourceVersion that every write bumps.</summary>
    public ConcurrentDictionary<string, JsonObject> Leases { get; } = new();

    /// <summary>Adds a running pod on <paramref name="node"/>; <paramref name="gpus"/> &gt; 0 requests nvidia.com/gpu.</summary>
    public void AddPod(string ns, string name, string node, int gpus, bool daemonSet = false)
    {
        var resources = gpus > 0 ? new JsonObject { ["limits"] = new JsonObject { ["nvidia.com/gpu"] = gpus.ToString(System.Globalization.CultureInfo.InvariantCulture) } } : new JsonObject();
        var metadata = new JsonObject { ["namespace"] = ns, ["name"] = name };
        if (daemonSet)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "DaemonSet", ["name"] = "ds" });
        }

        Pods[$"{ns}/{name}"] = new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["resources"] = resources }) },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        };
    }

    /// <summary>The node's status conditions by type, as strategic merge patches of nodes/&lt;node&gt;/status leave them.</summary>
    public ConcurrentDictionary<string, JsonObject> Conditions { get; } = new();

    /// <summary>Statuses (with a Status message) to answer with before serving normally.</summary>
    public ConcurrentQueue<(HttpStatusCode Status, string Message)> Failures { get; } = new();

    public X509Certificate2? CertificateAuthority { get; }

    private volatile bool down;
    private int refused;

    /// <summary>While true, connections are closed without an answer (the API server is down).</summary>
    public bool Down { get => down; set => down = value; }

    /// <summary>Connections closed unanswered while <see cref="Down"/>.</summary>
    public int Refused => Volatile.Read(ref refused);

    private TaskCompletionSource handled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once <paramref name="condition"/> holds after a request was served (checked at once, then after each).</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var next = Volatile.Read(ref handled).Task;
            if (condition())
            {
                return;
            }

            await next.WaitAsync(deadline.Token);
        }
    }

    /// <summary>Writes a kubeconfig that points at this stand-in with a bearer token; returns its path.</summary>
    public async Task<string> WriteKubeconfigAsync(string path, string token)
    {
        await File.WriteAllTextAsync(path, $$"""
            current-context: test
            contexts: [ { name: test, context: { cluster: standin, user: user } } ]
            clusters: [ { name: standin, cluster: { server: "{{Server}}" } } ]
            users: [ { name: user, user: { token: {{token}} } } ]
            """);
        return path;
    }

    public Uri Server => new($"{(serverCertificate is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            if (Down)
            {
                client.Client.Close(); // killed: no answer at all
                Interlocked.Increment(ref refused);
                Interlocked.Exchange(ref handled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                return;
            }

            Stream stream = client.GetStream();
            if (serverCertificate is not null)
            {
                var tls = new SslStream(stream);
                try
                {
                    await tls.AuthenticateAsServerAsync(serverCertificate);
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                    return; // the client refused our certificate
                }

                stream = tls;
            }

            await using (stream)
            {
                var (method, path, headers, body) = await ReadRequestAsync(stream);
                Requests.Enqueue(new Recorded(method, path, headers.GetValueOrDefault("authorization"), headers.GetValueOrDefault("content-type"), body));
                var (status, response) = Failures.TryDequeue(out var failure)
                    ? (failure.Status, new JsonObject { ["kind"] = "Status", ["message"] = failure.Message }.ToJsonString())
                    : Handle(method, path, body);
                var bytes = Encoding.UTF8.GetBytes(response);
                var head = $"HTTP/1.1 {(int)status} {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                await stream.WriteAsync(bytes);
                Interlocked.Exchange(ref handled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    private (HttpStatusCode, string) Handle(string method, string path, string body)
    {
        if (path.StartsWith("/api/v1/nodes/", StringComparison.Ordinal) && path.EndsWith("/status", StringComparison.Ordinal) && method == "PATCH")
        {
            foreach (var condition in JsonNode.Parse(body)!["status"]!["conditions"]!.AsArray())
            {
                Conditions[(string)condition!["type"]!] = condition.AsObject().DeepClone().AsObject();
            }

            return (HttpStatusCode.OK, new JsonObject { ["kind"] = "Node" }.ToJsonString());
        }

        if ((path == "/api/v1/nodes" || path.StartsWith("/api/v1/nodes?", StringComparison.Ordinal)) && method == "GET")
        {
            return (HttpStatusCode.OK, new JsonObject { ["kind"] = "NodeList", ["items"] = NodeList.DeepClone() }.ToJsonString());
        }

        if (path.StartsWith("/api/v1/pods", StringComparison.Ordinal) && method == "GET")
        {
            var node = Uri.UnescapeDataString(path).Split("spec.nodeName=")[1].Split(',')[0];
            var items = new JsonArray([.. Pods.Values.Where(p => (string?)p["spec"]!["nodeName"] == node).Select(p => (JsonNode)p.DeepClone())]);
            return (HttpStatusCode.OK, new JsonObject { ["kind"] = "PodList", ["items"] = items }.ToJsonString());
        }

        if (path.EndsWith("/eviction", StringComparison.Ordinal) && method == "POST")
        {
            var parts = path.Split('/'); // /api/v1/namespaces/<ns>/pods/<name>/eviction
            var key = $"{parts[4]}/{parts[6]}";
            if (!Pods.TryRemove(key, out _))
            {
                return (HttpStatusCode.NotFound, """{"kind":"Status","message":"pod not found"}""");
            }

            OnEvicted?.Invoke(key);
            return (HttpStatusCode.Created, body);
        }

        if (path.StartsWith("/apis/apps/v1/namespaces/", StringComparison.Ordinal) && path.Split('?')[0].EndsWith("/daemonsets", StringComparison.Ordinal) && method == "GET")
        {
            var ns = path.Split('/')[5]; // /apis/apps/v1/namespaces/<ns>/daemonsets
            var items = DaemonSets.TryGetValue(ns, out var listed) ? listed.DeepClone() : new JsonArray();
            return (HttpStatusCode.OK, new JsonObject { ["kind"] = "DaemonSetList", ["apiVersion"] = "apps/v1", ["metadata"] = new JsonObject(), ["items"] = items }.ToJsonString());
        }

        if (path.StartsWith("/apis/coordination.k8s.io/v1/namespaces/", StringComparison.Ordinal))
        {
            return HandleLease(method, path, body);
        }

        if (path.StartsWith("/api/v1/nodes/", StringComparison.Ordinal))
        {
            if (method == "PATCH" && JsonNode.Parse(body)!["spec"]?["unschedulable"] is { } unschedulable)
            {
                Unschedulable[path[14..]] = unschedulable.GetValue<bool>();
            }
            else if (method == "PATCH")
            {
                var metadata = JsonNode.Parse(body)!["metadata"]!;
                Merge(Labels, metadata["labels"]?.AsObject());
                Merge(Annotations, metadata["annotations"]?.AsObject());
            }

            var labels = new JsonObject(Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
            var annotations = new JsonObject(Annotations.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
            return (HttpStatusCode.OK, new JsonObject { ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = path[14..], ["labels"] = labels, ["annotations"] = annotations } }.ToJsonString());
        }

        return method == "POST" && path.EndsWith("/events", StringComparison.Ordinal)
            ? (HttpStatusCode.Created, body)
            : (HttpStatusCode.NotFound, """{"kind":"Status","message":"not implemented by the stand-in"}""");
    }

    /// <summary>A JSON merge patch of a string map: a null value removes the key.</summary>
    private static void Merge(ConcurrentDictionary<string, string> map, JsonObject? patch)
    {
        foreach (var (key, value) in patch ?? [])
        {
            if (value is null)
            {
                map.TryRemove(key, out _);
            }
            else
            {
                map[key] = value.GetValue<string>();
            }
        }
    }

    /// <summary>GET, POST (409 when it exists) and PUT (409 when the resourceVersion is stale) of Leases.</summary>
    private (HttpStatusCode, string) HandleLease(string method, string path, string body)
    {
        var parts = path.Split('/'); // /apis/coordination.k8s.io/v1/namespaces/<ns>/leases[/<name>]
        var ns = parts[5];
        lock (Leases)
        {
            if (method == "POST")
            {
                var lease = JsonNode.Parse(body)!.AsObject();
                var key = $"{ns}/{(string)lease["metadata"]!["name"]!}";
                if (Leases.ContainsKey(key))
                {
                    return (HttpStatusCode.Conflict, """{"kind":"Status","message":"already exists"}""");
                }

                lease["metadata"]!["resourceVersion"] = "1";
                Leases[key] = lease;
                return (HttpStatusCode.Created, lease.ToJsonString());
            }

            var name = $"{ns}/{parts[7]}";
            if (!Leases.TryGetValue(name, out var current))
            {
                return (HttpStatusCode.NotFound, """{"kind":"Status","message":"lease not found"}""");
            }

            if (method == "GET")
            {
                return (HttpStatusCode.OK, current.ToJsonString());
            }

            var update = JsonNode.Parse(body)!.AsObject();
            if ((string?)update["metadata"]!["resourceVersion"] != (string?)current["metadata"]!["resourceVersion"])
            {
                return (HttpStatusCode.Conflict, """{"kind":"Status","message":"the object has been modified"}""");
            }

            update["metadata"]!["resourceVersion"] = (int.Parse((string)current["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Leases[name] = update;
            return (HttpStatusCode.OK, update.ToJsonString());
        }
    }

    private static async Task<(string Method, string Path, Dictionary<string, string> Headers, string Body)> ReadRequestAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var start = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var length = int.Parse(headers.GetValueOrDefault("content-length", "0"), System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return (start[0], start[1], headers, Encoding.UTF8.GetString(body));
    }

    /// <summary>A test CA and a server certificate for 127.0.0.1 that it signed.</summary>
    private static (X509Certificate2 Ca, X509Certificate2 Server) CreateCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=modulus-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubernetes", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert)), server);
    }
}
