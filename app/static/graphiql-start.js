// GraphiQL served by the gateway itself (no CDN). Put your token in the Headers tab:
// {"Authorization": "Bearer <token>"}; it is kept in this browser's local storage.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + "/graphql" });
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
