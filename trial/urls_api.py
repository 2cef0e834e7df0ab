from trial.apis import screening, treatment

urlpatterns = [*screening.urlpatterns, *treatment.urlpatterns]
