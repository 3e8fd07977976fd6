// GraphiQL served by the gateway itself (no CDN). Put your token in the Headers tab:
// {"Authorization": "Bearer <token>"}; it is kept in this browser's local storage.
// Queries and mutations go over HTTP; subscriptions over WebSocket (graphql-transport-ws),
// where GraphiQL sends the Headers tab as the connection_init payload (the connection
// params), which is where the gateway looks for the token.
(function () {
  var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: window.location.origin + "/graphql",
    subscriptionUrl: scheme + "//" + window.location.host + "/graphql",
  });
  var defaultQuery = "# Set the Headers tab to {\"Authorization\": \"Bearer <token>\"}\n" +
    "# (`make run` and `gateway demo-tokens` print demo tokens), then run:\n" +
    "query Me {\n  me {\n    legacyId\n    name\n    roles\n  }\n}\n";
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    defaultHeaders: "{\n  \"Authorization\": \"Bearer \"\n}",
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: "headers",
  }));
})();
