// Starts Swagger UI on /docs from the vendored bundle (an external file: the pages' content
// policy allows no inline script).
"use strict";
const target = document.getElementById("swagger-ui");
window.SwaggerUIBundle({url: target.dataset.openapiUrl, dom_id: "#swagger-ui",
                        deepLinking: true, tryItOutEnabled: false,
                        validatorUrl: null});  // no badge fetched from another site
